import { UploadOutlined } from "@ant-design/icons";
import { Alert, App, Button, Checkbox, Descriptions, Flex, Input, Select, Space, Spin, Table, Tag, Typography, Upload } from "antd";
import { useEffect, useMemo, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { api, ApiProblem, ok, withEtag, type Schemas } from "../../api/client";
import { ProblemAlert } from "../../components/Problem";
import { useDistributorNames } from "../../components/useDistributors";
import { useRemote } from "../../components/useRemote";
import { formatDateTime } from "../../format";
import { useLang, useT } from "../../i18n";
import { DistributorSelect } from "../../components/filters";
import { KindSelect } from "./common";
import { COLUMNS, m } from "./messages";

type Template = Schemas["MappingTemplate"];
type Col = Schemas["Col"];
type Kind = Schemas["FileKind"];
type Stored = { data: Schemas["StoredMapping"]; etag: string } | null;

/** The header cells of a text file's first line: the delimiter it uses (tab, comma, semicolon, bar), quotes honoured. */
export function parseHeaderLine(text: string): string[] {
  const line = text.replace(/^\uFEFF/, "").split(/\r?\n/).find((l) => l.trim() !== "") ?? "";
  const delimiter = ["\t", ",", ";", "|"].map((d) => [d, line.split(d).length] as const).sort((a, b) => b[1] - a[1])[0][0];
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === "") quoted = true;
    else if (ch === delimiter) cells.push(cell.trim()), (cell = "");
    else cell += ch;
  }
  cells.push(cell.trim());
  return [...new Set(cells.filter((c) => c !== ""))];
}

/** A sample file's text: UTF-8, else GB18030 (what distributors' Chinese Excel exports to CSV usually are). */
async function readText(file: File): Promise<string> {
  const bytes = await file.slice(0, 64 * 1024).arrayBuffer();
  const utf8 = new TextDecoder("utf-8").decode(bytes);
  return utf8.includes("\uFFFD") ? new TextDecoder("gb18030").decode(bytes) : utf8;
}

export default function Mappings() {
  const t = useT(m);
  const names = useDistributorNames();
  const [params, setParams] = useSearchParams();
  const distributorId = params.get("distributor_id") ?? undefined;
  const kind = (params.get("kind") ?? "flow") as Kind;
  const set = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const builtin = useRemote(() => ok(api().GET("/flow-mappings/builtin", { params: { query: { kind } } })), [kind]);

  return (
    <>
      <Typography.Title level={3} style={{ marginTop: 0 }}>{t("mappings")}</Typography.Title>
      <Space wrap style={{ marginBottom: 16 }}>
        <DistributorSelect names={names} label={t("distributor")} value={distributorId} allowClear={false} onChange={(v) => set("distributor_id", v)} />
        <KindSelect label={t("kind")} value={kind} allowClear={false} onChange={(v) => set("kind", v)} />
      </Space>
      <ProblemAlert error={builtin.error} />
      {!distributorId ? (
        <>
          <Alert type="info" title={t("pickDistributor")} style={{ marginBottom: 16 }} />
          {builtin.data && <BuiltinTable columns={builtin.data.columns} />}
        </>
      ) : builtin.data ? (
        <Editor key={`${distributorId}-${kind}`} distributorId={distributorId} kind={kind} builtin={builtin.data} />
      ) : (
        <Spin />
      )}
    </>
  );
}

function BuiltinTable({ columns }: { columns: Schemas["BuiltinColumn"][] }) {
  const t = useT(m);
  const { lang } = useLang();
  return (
    <Table
      rowKey="column"
      size="small"
      pagination={false}
      dataSource={columns}
      scroll={{ x: 700 }}
      columns={[
        { title: t("column"), dataIndex: "column", width: 160, render: (c: Col) => COLUMNS[c]?.[lang] ?? c },
        { title: t("required"), dataIndex: "required", width: 70, render: (r: boolean) => (r ? <Tag color="red">{t("required")}</Tag> : null) },
        { title: t("builtinHeaders"), dataIndex: "headers", render: (h: string[]) => h.join("、") },
      ]}
    />
  );
}

function Editor({ distributorId, kind, builtin }: { distributorId: string; kind: Kind; builtin: Schemas["BuiltinHeaders"] }) {
  const t = useT(m);
  const { lang } = useLang();
  const { message } = App.useApp();
  const stored = useRemote<Stored>(async () => {
    try {
      return await withEtag(api().GET("/flow-mappings/{distributor_id}", { params: { path: { distributor_id: distributorId }, query: { kind } } }));
    } catch (err) {
      if (err instanceof ApiProblem && err.status === 404) return null; // no template: the built-in headers apply
      throw err;
    }
  }, [distributorId, kind]);
  // The headers of this distributor's last file refused for its columns: the API keeps what it found.
  const lastRejected = useRemote(async () => {
    const page = await ok(api().GET("/flow-loads", { params: { query: { distributor_id: distributorId, kind, limit: 50 } } }));
    const load = page.items.find((l) => ((l.rejection?.detail as { headers_found?: string[] } | null)?.headers_found ?? []).length > 0);
    return load ? { file: load.file_name, headers: (load.rejection?.detail as { headers_found: string[] }).headers_found } : null;
  }, [distributorId, kind]);
  const [pasted, setPasted] = useState("");
  const [uploaded, setUploaded] = useState<string[]>();
  const [headers, setHeaders] = useState<Partial<Record<Col, string[]>>>({});
  const [useBuiltin, setUseBuiltin] = useState(true);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>();
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<string, string>>>({});
  const [conflict, setConflict] = useState(false);

  useEffect(() => {
    if (stored.data === undefined) return;
    setHeaders((stored.data?.data.template.headers ?? {}) as Partial<Record<Col, string[]>>);
    setUseBuiltin(stored.data?.data.template.use_builtin_headers ?? true);
  }, [stored.data]);

  const sample = useMemo(() => {
    const fromPaste = pasted.trim() ? parseHeaderLine(pasted) : [];
    return [...new Set([...(uploaded ?? []), ...fromPaste, ...(lastRejected.data?.headers ?? [])])];
  }, [pasted, uploaded, lastRejected.data]);

  async function save() {
    setSaving(true);
    setError(undefined);
    setFieldErrors({});
    setConflict(false);
    const current = stored.data?.data.template;
    const { version: _version, ...rest } = current ?? ({} as Template); // the server stamps the version
    void _version;
    const template = {
      ...rest,
      use_builtin_headers: useBuiltin,
      headers: Object.fromEntries(Object.entries(headers).filter(([, v]) => v && v.length > 0)),
    } as Template; // no version: the types mark defaulted fields required, the API takes them omitted
    try {
      const saved = stored.data
        ? await withEtag(
            api().PUT("/flow-mappings/{distributor_id}", {
              params: { path: { distributor_id: distributorId }, query: { kind }, header: { "if-match": stored.data.etag } },
              body: template,
            }),
          )
        : await withEtag(api().POST("/flow-mappings", { body: { distributor_id: distributorId, kind, template } }));
      stored.setData(saved);
      message.success(t("saved", { version: saved.data.template.version ?? "" }));
    } catch (err) {
      if (err instanceof ApiProblem && (err.status === 412 || err.status === 409)) {
        setConflict(true);
        stored.reload();
      } else {
        setError(err);
        if (err instanceof ApiProblem) setFieldErrors(byColumn(err.fieldErrors));
      }
    } finally {
      setSaving(false);
    }
  }

  if (stored.loading && stored.data === undefined) return <Spin />;
  const s = stored.data?.data;
  return (
    <>
      <ProblemAlert error={stored.error ?? lastRejected.error} />
      {s ? (
        <Descriptions bordered size="small" column={{ xs: 1, md: 2 }} style={{ marginBottom: 16 }} title={t("template")}>
          <Descriptions.Item label={t("version")}>{s.template.version ?? "—"}</Descriptions.Item>
          <Descriptions.Item label={t("updatedBy")}>{`${formatDateTime(s.updated_at)} · ${s.updated_by}`}</Descriptions.Item>
          <Descriptions.Item label={t("dateFormats")} span={2}>{(s.template.date_formats ?? []).join("  ") || "—"}</Descriptions.Item>
        </Descriptions>
      ) : (
        <Alert type="info" showIcon title={t("noTemplate")} style={{ marginBottom: 16 }} />
      )}
      <Typography.Title level={5}>{t("sampleHeaders")}</Typography.Title>
      <Space orientation="vertical" style={{ width: "100%", marginBottom: 16 }}>
        {lastRejected.data && (
          <Typography.Text type="secondary">
            {t("sampleFromLoad", { file: lastRejected.data.file })}: {lastRejected.data.headers.join("、")}
          </Typography.Text>
        )}
        <Input.TextArea
          aria-label={t("pasteHeader")}
          placeholder={t("pasteHeader")}
          rows={2}
          value={pasted}
          onChange={(e) => setPasted(e.target.value)}
        />
        <Space wrap>
          <Upload
            accept=".csv,.txt,.tsv"
            showUploadList={false}
            beforeUpload={(file) => {
              void readText(file).then((text) => setUploaded(parseHeaderLine(text)));
              return false; // read in the browser, never sent
            }}
          >
            <Button icon={<UploadOutlined />}>{t("uploadSample")}</Button>
          </Upload>
          <Typography.Text type="secondary">{t("xlsxNote")}</Typography.Text>
        </Space>
        {sample.length === 0 && <Typography.Text type="warning">{t("noSample")}</Typography.Text>}
        <Typography.Text type="secondary">{t("productKeyHint")}</Typography.Text>
      </Space>
      {conflict && <Alert type="warning" showIcon role="alert" title={t("conflict")} style={{ marginBottom: 16 }} />}
      <ProblemAlert error={error} onClose={() => setError(undefined)} />
      <Table
        rowKey="column"
        size="small"
        pagination={false}
        dataSource={builtin.columns}
        scroll={{ x: 900 }}
        columns={[
          {
            title: t("column"),
            dataIndex: "column",
            width: 150,
            render: (c: Col, row) => (
              <Space>
                {COLUMNS[c]?.[lang] ?? c}
                {row.required && <Tag color="red">{t("required")}</Tag>}
              </Space>
            ),
          },
          {
            title: t("fileHeader"),
            width: 320,
            render: (_, row) => (
              <Space orientation="vertical" size={0} style={{ width: "100%" }}>
                <Select
                  mode="tags"
                  aria-label={`${t("fileHeader")} ${COLUMNS[row.column]?.[lang] ?? row.column}`}
                  placeholder={t("headerPlaceholder")}
                  value={headers[row.column] ?? []}
                  onChange={(v: string[]) => setHeaders((h) => ({ ...h, [row.column]: v }))}
                  options={sample.map((h) => ({ value: h, label: h }))}
                  maxTagTextLength={30}
                  status={fieldErrors[row.column] ? "error" : undefined}
                  style={{ width: "100%" }}
                />
                {fieldErrors[row.column] && <Typography.Text type="danger">{fieldErrors[row.column]}</Typography.Text>}
              </Space>
            ),
          },
          { title: t("builtinHeaders"), dataIndex: "headers", render: (h: string[]) => <Typography.Text type="secondary">{h.join("、")}</Typography.Text> },
        ]}
      />
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginTop: 16 }}>
        <Checkbox checked={useBuiltin} onChange={(e) => setUseBuiltin(e.target.checked)}>
          {t("useBuiltin")}
        </Checkbox>
        <Button type="primary" loading={saving} onClick={() => void save()}>
          {t("save")}
        </Button>
      </Flex>
    </>
  );
}

/** A 422's field errors by the template column they name (template.headers.<col>...); the rest under "". */
function byColumn(errors: { field: string; message: string }[]): Record<string, string> {
  const found: Record<string, string> = {};
  for (const e of errors) {
    const parts = e.field.split(".");
    const at = parts.indexOf("headers");
    const key = at >= 0 && parts[at + 1] ? parts[at + 1] : "";
    found[key] = found[key] ? `${found[key]}; ${e.message}` : e.message;
  }
  return found;
}
