import { DownloadOutlined, ReloadOutlined } from "@ant-design/icons";
import { Alert, Button, Descriptions, Flex, Progress, Result, Space, Spin, Table, Tag, Typography } from "antd";
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api, ApiProblem, ok, type Schemas } from "../../api/client";
import { ProblemAlert } from "../../components/Problem";
import { useDistributorNames } from "../../components/useDistributors";
import { useRemote } from "../../components/useRemote";
import { formatDateTime, formatQty, formatRate } from "../../format";
import { useLang, useT } from "../../i18n";
import { FILE_KINDS, FILE_REJECTIONS, LOAD_STATUSES, name } from "../../labels";
import { MappingStep } from "../portal/MappingStep";
import { sentFile } from "../portal/uploads";
import { distributorName, openLink } from "./common";
import { STATUS_COLORS } from "./LoadList";
import { COLUMNS, m } from "./messages";

type Load = Schemas["Load"];

export default function LoadPage() {
  const { id = "" } = useParams();
  const t = useT(m);
  const { lang } = useLang();
  const names = useDistributorNames();
  const load = useRemote(() => ok(api().GET("/flow-loads/{load_id}", { params: { path: { load_id: id } } })), [id]);
  // A file just sent from this tab has no load record until its import starts: it is on its way, not missing.
  const arriving = load.error instanceof ApiProblem && load.error.status === 404 && sentFile(id) !== undefined;
  const running = arriving || load.data?.status === "received" || load.data?.status === "processing";
  useEffect(() => {
    // Follow an import live until it ends (a file just sent lands here first).
    if (!running) return;
    const timer = setTimeout(load.reload, 1500);
    return () => clearTimeout(timer);
  }, [running, load.data, load.error, load.reload]);

  if ((load.loading && !load.data) || arriving) return <Spin tip={t("importing")}><div style={{ minHeight: 120 }} /></Spin>;
  if (load.error instanceof ApiProblem && load.error.status === 404)
    return <Result status="404" title={t("notFound")} extra={<Link to="/flow/loads">{t("back")}</Link>} />;
  if (!load.data) return <ProblemAlert error={load.error} />;
  const l = load.data;
  const s = l.summary ?? {};
  const quantities = Object.entries((s.base_qty_by_sku ?? {}) as Record<string, number | string>);

  return (
    <>
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 16 }}>
        <Space wrap>
          <Typography.Title level={3} style={{ margin: 0 }}>
            {l.file_name}
          </Typography.Title>
          <Tag color={STATUS_COLORS[l.status]} data-testid="load-status">
            {name(LOAD_STATUSES, l.status, lang)}
          </Tag>
        </Space>
        <Space wrap>
          <Button icon={<ReloadOutlined />} onClick={load.reload}>
            {t("reload")}
          </Button>
          {(s.review_names ?? 0) > 0 && (
            <Link to={`/flow/reviews?distributor_id=${l.distributor_id}&load_id=${l.id}`}>
              <Button type="primary">{t("openReviews")}</Button>
            </Link>
          )}
        </Space>
      </Flex>
      <ProblemAlert error={load.error} />
      {l.rejection && <RejectionView rejection={l.rejection} />}
      {running && <Progress percent={100} status="active" showInfo={false} aria-label={t("importing")} />}
      {!!(l.rejection?.detail as { missing?: string[] } | undefined)?.missing?.length && l.kind !== "shipments" && <MappingStep load={l} />}
      <Descriptions bordered size="small" column={{ xs: 1, sm: 2, lg: 3 }} style={{ marginBottom: 16 }}>
        <Descriptions.Item label={t("distributor")}>{distributorName(names, l.distributor_id, t("ourShipments"))}</Descriptions.Item>
        <Descriptions.Item label={t("period")}>{l.period}</Descriptions.Item>
        <Descriptions.Item label={t("kind")}>{name(FILE_KINDS, l.kind, lang)}</Descriptions.Item>
        <Descriptions.Item label={t("rows")}>{s.rows ?? "—"}</Descriptions.Item>
        <Descriptions.Item label={t("accepted")}>{s.accepted ?? "—"}</Descriptions.Item>
        <Descriptions.Item label={t("rejected")}>{s.rejected ?? "—"}</Descriptions.Item>
        <Descriptions.Item label={t("matched")}>{s.matched ?? "—"}</Descriptions.Item>
        <Descriptions.Item label={t("matchRate")}>
          <span data-testid="match-rate">{formatRate(s.match_rate)}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t("reviewNames")}>{s.review_names ?? "—"}</Descriptions.Item>
        <Descriptions.Item label={t("receivedAt")}>{formatDateTime(l.received_at)}</Descriptions.Item>
        <Descriptions.Item label={t("finishedAt")}>{formatDateTime(l.finished_at)}</Descriptions.Item>
        <Descriptions.Item label={t("mappingVersion")}>{s.mapping_version ?? "—"}</Descriptions.Item>
        {l.superseded_by && (
          <Descriptions.Item label={t("supersededBy")}>
            <Link to={`/flow/loads/${l.superseded_by}`}>{l.superseded_by}</Link>
          </Descriptions.Item>
        )}
        <Descriptions.Item label={t("sha256")} span={2}>
          <Typography.Text code style={{ fontSize: 12 }}>{l.sha256 ?? "—"}</Typography.Text>
        </Descriptions.Item>
      </Descriptions>
      <ErrorReport load={l} />
      {quantities.length > 0 && (
        <>
          <Typography.Title level={5}>{t("baseQty")}</Typography.Title>
          <Table
            rowKey="0"
            size="small"
            pagination={false}
            dataSource={quantities}
            style={{ maxWidth: 480 }}
            columns={[
              { title: t("sku"), render: (_, [sku]) => sku },
              { title: t("quantity"), align: "right", render: (_, [, qty]) => formatQty(qty) },
            ]}
          />
        </>
      )}
      <div style={{ marginTop: 16 }}>
        <Link to="/flow/loads">{t("back")}</Link>
      </div>
    </>
  );
}

function RejectionView({ rejection }: { rejection: NonNullable<Load["rejection"]> }) {
  const t = useT(m);
  const { lang } = useLang();
  const detail = (rejection.detail ?? {}) as { missing?: string[]; headers_found?: string[]; sheet?: string | null };
  const columnName = (col: string) => COLUMNS[col as keyof typeof COLUMNS]?.[lang] ?? col;
  return (
    <Alert
      type="error"
      showIcon
      style={{ marginBottom: 16 }}
      title={t("rejection")}
      description={
        <Space orientation="vertical" size={4}>
          {/* The API's message is English: in Chinese, the reason's own words (the code's name) when known. */}
          <Typography.Text strong data-testid="rejection-reason">
            {lang === "zh" && FILE_REJECTIONS[rejection.code] ? FILE_REJECTIONS[rejection.code].zh : rejection.message}
          </Typography.Text>
          <Typography.Text type="secondary">
            {t("rejectCode")}: {rejection.code}
          </Typography.Text>
          {!!detail.missing?.length && (
            <span data-testid="missing-columns">
              {t("missingColumns")}:{" "}
              {detail.missing.map((c) => (
                <Tag color="red" key={c}>
                  {columnName(c)}
                </Tag>
              ))}
            </span>
          )}
          {!!detail.headers_found?.length && (
            <span>
              {t("headersFound")}:{" "}
              {detail.headers_found.map((h, i) => (
                <Tag key={`${h}-${i}`}>{h}</Tag>
              ))}
            </span>
          )}
          {detail.sheet && (
            <span>
              {t("sheet")}: {detail.sheet}
            </span>
          )}
        </Space>
      }
    />
  );
}

function ErrorReport({ load }: { load: Load }) {
  const t = useT(m);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState<string>();
  async function get(format: "xlsx" | "csv") {
    setBusy(format);
    setError(undefined);
    try {
      // The API answers a short-lived link (ReportLink), not the file itself.
      const link = await ok(api().GET("/flow-loads/{load_id}/errors", { params: { path: { load_id: load.id }, query: { format } } }));
      openLink(link.url);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(undefined);
    }
  }
  return (
    <div style={{ marginBottom: 16 }}>
      <Typography.Title level={5}>{t("errorReport")}</Typography.Title>
      <ProblemAlert error={error} onClose={() => setError(undefined)} />
      {load.has_error_report ? (
        <Space wrap>
          <Button icon={<DownloadOutlined />} loading={busy === "xlsx"} onClick={() => void get("xlsx")}>
            {t("downloadXlsx")}
          </Button>
          <Button icon={<DownloadOutlined />} loading={busy === "csv"} onClick={() => void get("csv")}>
            {t("downloadCsv")}
          </Button>
        </Space>
      ) : (
        <Typography.Text type="secondary">{t("noErrorReport")}</Typography.Text>
      )}
    </div>
  );
}
