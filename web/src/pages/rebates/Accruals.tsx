import { DownloadOutlined, ReloadOutlined } from "@ant-design/icons";
import { Alert, App, Button, Card, Descriptions, Flex, Input, Segmented, Space, Spin, Table, Tag, Typography } from "antd";
import { useEffect, useRef, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api, ApiProblem, ok, type Schemas } from "../../api/client";
import { DistributorSelect, lastMonth, MonthPicker, useUrlFilters } from "../../components/filters";
import { ProblemAlert } from "../../components/Problem";
import { useDistributorNames } from "../../components/useDistributors";
import { useRemote } from "../../components/useRemote";
import { hasRole, useUser } from "../../components/UserContext";
import { formatAmount, formatDateTime, formatQty } from "../../format";
import { useLang, useT } from "../../i18n";
import { name } from "../../labels";
import { BASES, m, RUN_STATUSES, VOUCHER_COLORS, VOUCHER_STATUSES } from "./messages";

type Voucher = Schemas["Voucher"];
type RuleAccrual = Schemas["RuleAccrual"];

/** The month's vouchers (frozen when the month closed) or a preview from the data as it stands. */
export default function Accruals() {
  const t = useT(m);
  const { lang } = useLang();
  const user = useUser();
  const { message } = App.useApp();
  const filters = useUrlFilters();
  const names = useDistributorNames();
  const period = filters.get("period") ?? lastMonth();
  const customerId = filters.get("customer_id");
  const group = filters.get("group");
  const view = filters.get("view") === "preview" ? "preview" : "stored";
  const distributorUser = hasRole(user, "distributor") && user.roles.length === 1;
  const page = useRemote(
    () =>
      view === "preview"
        ? ok(api().GET("/accruals/preview", { params: { query: { period, customer_id: customerId } } }))
        : ok(api().GET("/accrual-vouchers", { params: { query: { period, customer_id: customerId, group } } })),
    [period, customerId, group, view],
  );
  const run = useRemote(async () => {
    try {
      return await ok(api().GET("/accrual-runs/{period}", { params: { path: { period } } }));
    } catch (err) {
      if (err instanceof ApiProblem && err.status === 404) return null;
      throw err;
    }
  }, [period]);
  const [exporting, setExporting] = useState(false);
  const running = run.data?.status === "running" || run.data?.reversal === "running";
  const wasRunning = useRef(false);
  useEffect(() => {
    // A run goes on in the background: follow it, and read the vouchers again once it has ended.
    if (running) {
      wasRunning.current = true;
      const timer = setTimeout(run.reload, 2000);
      return () => clearTimeout(timer);
    }
    if (wasRunning.current) {
      wasRunning.current = false;
      page.reload();
    }
    return undefined;
  }, [running, run.data, run.reload, page.reload]);

  async function exportMonth() {
    setExporting(true);
    try {
      const link = await ok(api().GET("/accrual-vouchers/export", { params: { query: { period, customer_id: customerId } } }));
      window.location.assign(link.url);
    } catch (err) {
      message.error(err instanceof Error ? err.message : String(err));
    } finally {
      setExporting(false);
    }
  }

  async function runAgain() {
    try {
      await ok(api().POST("/accrual-runs/{period}", { params: { path: { period } } }));
      message.success(t("runStarted"));
      run.reload();
    } catch (err) {
      message.error(err instanceof Error ? err.message : String(err));
    }
  }

  const r = run.data;
  return (
    <>
      <Typography.Title level={3} style={{ marginTop: 0 }}>{t("accruals")}</Typography.Title>
      <Space wrap style={{ marginBottom: 16 }}>
        <MonthPicker label={t("month")} value={period} onChange={(v) => filters.set("period", v)} />
        <Segmented
          value={view}
          onChange={(v) => filters.set("view", v === "preview" ? "preview" : undefined)}
          options={[{ value: "stored", label: t("stored") }, { value: "preview", label: t("preview") }]}
        />
        {!distributorUser && <DistributorSelect names={names} label={t("distributor")} value={customerId} onChange={(v) => filters.set("customer_id", v)} />}
        {view === "stored" && (
          <Input.Search allowClear placeholder={t("groupFilter")} defaultValue={group} onSearch={(v) => filters.set("group", v || undefined)} style={{ width: 180 }} aria-label={t("groupFilter")} />
        )}
        <Button icon={<DownloadOutlined />} loading={exporting} onClick={exportMonth} disabled={view === "preview"}>
          {t("export")}
        </Button>
      </Space>
      <Card size="small" title={t("runState")} style={{ marginBottom: 16 }} data-testid="run">
        {run.loading && !r ? (
          <Spin size="small" />
        ) : r ? (
          <Flex gap={12} wrap align="center">
            <Tag>{t("round", { n: r.round })}</Tag>
            <Tag color={r.status === "done" ? "green" : r.status === "failed" ? "red" : "blue"}>{name(RUN_STATUSES, r.status, lang)}</Tag>
            <span>{t("vouchers", { n: r.vouchers })}</span>
            {r.reversal && (
              <Tag color="purple">
                {t("reversal")}：{name(RUN_STATUSES, r.reversal, lang)} · {t("vouchers", { n: r.reversed })}
              </Tag>
            )}
            <Typography.Text type="secondary">{formatDateTime(r.finished_at ?? r.started_at)}</Typography.Text>
            {(r.error || r.reversal_error) && <Typography.Text type="danger">{r.error ?? r.reversal_error}</Typography.Text>}
            {hasRole(user, "hq_admin", "finance") && (r.status === "failed" || r.reversal === "failed") && (
              <Button size="small" icon={<ReloadOutlined />} onClick={runAgain}>{t("runAgain")}</Button>
            )}
          </Flex>
        ) : (
          <Typography.Text type="secondary">{t("noRun")}</Typography.Text>
        )}
      </Card>
      <ProblemAlert error={page.error ?? run.error} />
      <Table<Voucher>
        rowKey={(v) => v.id ?? `${v.agreement_id}-preview`}
        size="small"
        loading={page.loading}
        dataSource={page.data?.items ?? []}
        pagination={false}
        scroll={{ x: 900 }}
        locale={{ emptyText: t("empty") }}
        expandable={{ expandedRowRender: (v) => <RuleLines rules={v.rules} /> }}
        summary={() =>
          page.data ? (
            <Table.Summary.Row>
              <Table.Summary.Cell index={0} colSpan={6} align="right">{t("totalNet")}</Table.Summary.Cell>
              <Table.Summary.Cell index={1} align="right">
                <strong data-testid="total-net">{formatAmount(page.data.total_net)}</strong>
              </Table.Summary.Cell>
              <Table.Summary.Cell index={2} />
            </Table.Summary.Row>
          ) : null
        }
        columns={[
          { title: t("customer"), render: (_, v) => (v.id ? <Link to={`/rebates/vouchers/${v.id}`}>{v.customer_name}</Link> : v.customer_name) },
          { title: t("status"), dataIndex: "status", render: (s: string) => <Tag color={VOUCHER_COLORS[s]}>{name(VOUCHER_STATUSES, s, lang)}</Tag> },
          { title: t("group"), dataIndex: "groups", render: (g: string[]) => g.join("、") },
          { title: t("gross"), dataIndex: "gross", align: "right", render: (v: string) => formatAmount(v) },
          { title: t("penalties"), align: "right", render: (_, v) => <Penalties voucher={v} /> },
          { title: t("net"), dataIndex: "net", align: "right", render: (v: string) => <strong>{formatAmount(v)}</strong> },
          { title: t("agreements"), render: (_, v) => <Link to={`/rebates/agreements/${v.agreement_id}`}>v{v.agreement_version}</Link> },
        ]}
      />
    </>
  );
}

function Penalties({ voucher: v }: { voucher: Voucher }) {
  const t = useT(m);
  if (!v.penalties.length) return <>—</>;
  return (
    <Flex vertical align="end">
      {v.penalties.map((p) => (
        <Link key={p.case_id} to={`/rebates/cases/${p.case_id}`}>
          {p.forfeit ? t("forfeit") : `-${formatAmount(p.amount)}`}
        </Link>
      ))}
    </Flex>
  );
}

/** Each rule's figures and what it counted. */
export function RuleLines({ rules }: { rules: RuleAccrual[] }) {
  const t = useT(m);
  const { lang } = useLang();
  return (
    <Table<RuleAccrual>
      rowKey="rule"
      size="small"
      pagination={false}
      dataSource={rules}
      columns={[
        { title: t("rule"), dataIndex: "rule" },
        { title: t("basis"), dataIndex: "basis", render: (b: string) => name(BASES, b, lang) },
        { title: t("quantity"), dataIndex: "quantity", align: "right", render: formatQty },
        { title: t("amount"), dataIndex: "amount", align: "right", render: (v: string) => formatAmount(v) },
        { title: t("attainment"), render: (_, r) => (r.attainment_pct === null || r.attainment_pct === undefined ? "—" : `${r.attainment_pct}%`) },
        { title: t("tier"), render: (_, r) => (r.tier ? `${r.tier}（${r.rate}）` : "—") },
        {
          title: t("conditions"),
          render: (_, r) =>
            r.conditions.length
              ? r.conditions.map((c) => (
                  <Tag key={c.name} color={c.met ? "green" : "red"}>
                    {c.name} {c.met ? t("met") : t("notMet")}
                    {c.value !== null && c.value !== undefined ? ` (${c.value})` : ""}
                  </Tag>
                ))
              : "—",
        },
        { title: t("counted"), render: (_, r) => `${r.counted.rows}（${t("unverified")} ${r.counted.unverified_rows}）` },
        { title: t("loads"), render: (_, r) => r.counted.loads.map((l) => (l.startsWith("erp:") ? <Tag key={l}>{l}</Tag> : <Link key={l} to={`/flow/loads/${l}`}>{t("loads")} </Link>)) },
        { title: t("accrued"), dataIndex: "accrued", align: "right", render: (v: string, r) => <>{formatAmount(v)}{r.capped && <Tag style={{ marginLeft: 4 }}>{t("capped")}</Tag>}</> },
      ]}
    />
  );
}

export function VoucherPage() {
  const { id = "" } = useParams();
  const t = useT(m);
  const { lang } = useLang();
  const found = useRemote(() => ok(api().GET("/accrual-vouchers/{voucher_id}", { params: { path: { voucher_id: id } } })), [id]);
  if (found.loading && !found.data) return <Spin />;
  const v = found.data;
  if (!v) return <ProblemAlert error={found.error} />;
  return (
    <>
      <Typography.Title level={3} style={{ marginTop: 0 }}>
        {t("accruals")} · {v.customer_name} · {v.period}
      </Typography.Title>
      {v.status === "reversed" && <Alert type="info" showIcon title={name(VOUCHER_STATUSES, "reversed", lang)} style={{ marginBottom: 16 }} />}
      <Descriptions size="small" bordered column={{ xs: 1, md: 3 }} style={{ marginBottom: 16 }}>
        <Descriptions.Item label={t("status")}><Tag color={VOUCHER_COLORS[v.status]}>{name(VOUCHER_STATUSES, v.status, lang)}</Tag></Descriptions.Item>
        <Descriptions.Item label={t("agreements")}><Link to={`/rebates/agreements/${v.agreement_id}`}>v{v.agreement_version}</Link></Descriptions.Item>
        <Descriptions.Item label={t("round", { n: v.round ?? 1 })}>{formatDateTime(v.computed_at)}</Descriptions.Item>
        <Descriptions.Item label={t("gross")}>{formatAmount(v.gross)}</Descriptions.Item>
        <Descriptions.Item label={t("penalties")}><Penalties voucher={v} /></Descriptions.Item>
        <Descriptions.Item label={t("net")}><strong>{formatAmount(v.net)}</strong></Descriptions.Item>
        {v.unabsorbed_penalty !== "0.00" && <Descriptions.Item label={t("unabsorbed")}>{formatAmount(v.unabsorbed_penalty)}</Descriptions.Item>}
        {v.approval_id && <Descriptions.Item label={t("approval")}><Link to={`/approvals/${v.approval_id}`}>{t("approval")}</Link></Descriptions.Item>}
      </Descriptions>
      <RuleLines rules={v.rules} />
    </>
  );
}
