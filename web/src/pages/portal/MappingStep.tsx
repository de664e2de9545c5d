import { Alert, App, Button, Card, Flex, Progress, Select, Space, Table, Tag, Typography } from "antd";
import { useEffect, useMemo, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { api, ApiProblem, ok, type Schemas } from "../../api/client";
import { ProblemAlert } from "../../components/Problem";
import { useRemote } from "../../components/useRemote";
import { useLang, useT } from "../../i18n";
import { COLUMNS } from "../flow/messages";
import { m } from "./messages";
import { firstRows, sendFile, sentFile } from "./uploads";

type Load = Schemas["Load"];
const DATE_FORMATS = ["%Y%m%d", "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%d/%m/%Y"];
const squash = (text: string) => text.replace(/\s+/g, "").toLowerCase();

/** A file refused for missing columns: its own headers matched to the columns the kind needs, previewed on the
 * file's first rows, saved as the distributor's mapping template, and the same file imported again. */
export function MappingStep({ load }: { load: Load }) {
  const t = useT(m);
  const { lang } = useLang();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const detail = (load.rejection?.detail ?? {}) as { missing?: string[]; headers_found?: string[] };
  const headers = detail.headers_found ?? [];
  const sent = sentFile(load.id);
  const kind = load.kind;
  const builtin = useRemote(() => ok(api().GET("/flow-mappings/builtin", { params: { query: { kind } } })), [kind]);
  const stored = useRemote(async () => {
    try {
      return await ok(api().GET("/flow-mappings/{distributor_id}", { params: { path: { distributor_id: load.distributor_id }, query: { kind } } }));
    } catch (err) {
      if (err instanceof ApiProblem && err.status === 404) return undefined; // none yet: the built-in headers applied
      throw err;
    }
  }, [load.distributor_id, kind]);
  const [choice, setChoice] = useState<Record<string, string | undefined>>({});
  const [dateFormat, setDateFormat] = useState<string>();
  const [rows, setRows] = useState<string[][] | null>(null);
  const [percent, setPercent] = useState<number>();
  const [error, setError] = useState<unknown>();

  const columns = builtin.data?.columns ?? [];
  useEffect(() => {
    // Preselect the file's headers the built-in list already knows, so only the unknown ones are left to choose.
    const known: Record<string, string | undefined> = {};
    for (const column of columns) known[column.column] = headers.find((h) => column.headers.some((b) => squash(b) === squash(h)));
    setChoice(known);
  }, [builtin.data]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (sent) void firstRows(sent.file).then(setRows);
  }, [sent]);

  const preview = useMemo(() => {
    if (!rows || rows.length < 2) return [];
    const at = (header?: string) => (header ? rows[0].indexOf(header) : -1);
    return rows.slice(1).map((cells, i) => ({
      key: i,
      ...Object.fromEntries(Object.entries(choice).map(([column, header]) => [column, at(header) >= 0 ? cells[at(header)] : ""])),
    }));
  }, [rows, choice]);

  const name = (column: string) => COLUMNS[column as keyof typeof COLUMNS]?.[lang] ?? column;
  const required = columns.filter((c) => c.required).map((c) => c.column);
  const productKey: string[] = builtin.data?.product_key ?? [];

  async function save() {
    const missing: string[] = required.filter((c) => !choice[c]);
    if (productKey.length && !productKey.some((c) => choice[c])) missing.push(productKey.map(name).join(" / "));
    if (missing.length) return setError(new Error(t("missingRequired", { list: missing.map(name).join("、") })));
    setError(undefined);
    // Only what the user chose: the server fills in the rest (its defaults, and the version it stamps).
    const template = {
      headers: Object.fromEntries(Object.entries(choice).filter(([, h]) => h).map(([c, h]) => [c, [h as string]])),
      ...(dateFormat ? { date_formats: [dateFormat] } : {}),
    } as Schemas["MappingTemplate"];
    try {
      if (stored.data) {
        await ok(
          api().PUT("/flow-mappings/{distributor_id}", {
            params: { path: { distributor_id: load.distributor_id }, query: { kind }, header: { "if-match": `"${stored.data.version}"` } },
            body: template,
          }),
        );
      } else {
        await ok(api().POST("/flow-mappings", { body: { distributor_id: load.distributor_id, kind, template } }));
      }
      if (!sent) return message.success(t("uploadAgain"));
      message.info(t("saved"));
      const again = await sendFile(sent.file, sent.kind, sent.period, setPercent, load.distributor_id);
      navigate(`/flow/loads/${again.loadId}`);
    } catch (err) {
      setError(err);
      setPercent(undefined);
    }
  }

  return (
    <Card title={t("mapTitle")} style={{ marginBottom: 16 }} data-testid="mapping-step">
      <Typography.Paragraph type="secondary">{t("mapHint")}</Typography.Paragraph>
      <ProblemAlert error={builtin.error ?? stored.error ?? error} onClose={() => setError(undefined)} />
      {/* A row per column we need: its name, then a choice among the file's headers; rows wrap on a phone. */}
      <Space orientation="vertical" style={{ width: "100%" }} size={8}>
        {columns.map((c) => (
          <Flex key={c.column} wrap gap={8} align="center">
            <Space style={{ minWidth: 150 }}>
              {name(c.column)}
              {(c.required || productKey.includes(c.column)) && <Tag color={detail.missing?.includes(c.column) ? "red" : "default"}>{t("required")}</Tag>}
            </Space>
            <Select
              aria-label={name(c.column)}
              allowClear
              placeholder={t("pick")}
              value={choice[c.column]}
              onChange={(value) => setChoice((current) => ({ ...current, [c.column]: value }))}
              options={headers.map((h) => ({ value: h, label: h }))}
              style={{ flex: "1 1 180px", maxWidth: 280 }}
            />
          </Flex>
        ))}
      </Space>
      <Space style={{ margin: "12px 0" }} wrap>
        <Typography.Text>{t("dateFormat")}</Typography.Text>
        <Select
          aria-label={t("dateFormat")}
          allowClear
          placeholder={t("auto")}
          value={dateFormat}
          onChange={setDateFormat}
          options={DATE_FORMATS.map((f) => ({ value: f, label: f.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD") }))}
          style={{ width: 160 }}
        />
      </Space>
      <Typography.Title level={5}>{t("preview")}</Typography.Title>
      {rows ? (
        <Table
          size="small"
          pagination={false}
          dataSource={preview}
          scroll={{ x: 640 }}
          columns={Object.keys(choice)
            .filter((c) => choice[c])
            .map((c) => ({ title: name(c), dataIndex: c }))}
        />
      ) : (
        <Alert type="info" title={sent ? t("noPreview") : t("uploadAgain")} />
      )}
      {percent !== undefined && <Progress percent={percent} />}
      <Space style={{ marginTop: 12 }}>
        <Button type="primary" onClick={() => void save()} loading={percent !== undefined}>
          {sent ? t("saveAndImport") : t("saveOnly")}
        </Button>
        {!sent && <Link to="/portal/upload">{t("upload")}</Link>}
      </Space>
    </Card>
  );
}
