import { App, Button, Card, Checkbox, Descriptions, Flex, Form, Input, List, Radio, Space, Spin, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api, ok, withEtag, type Schemas } from "../../api/client";
import { DistributorSelect, lastMonth, MonthPicker, useUrlFilters } from "../../components/filters";
import { ProblemAlert, showFieldErrors } from "../../components/Problem";
import { useDistributorNames } from "../../components/useDistributors";
import { useRemote } from "../../components/useRemote";
import { useUserNames } from "../../components/useUserNames";
import { formatAmount, formatDateTime, formatQty } from "../../format";
import { useLang, useT } from "../../i18n";
import { name, options } from "../../labels";
import { EvidenceTable, useProductNames } from "../channel/common";
import { CASE_STATUSES, m } from "./messages";

type Case = Schemas["DiversionCase"];
const CASE_COLORS: Record<string, string> = { open: "blue", pending: "gold", confirmed: "red", dismissed: "default" };

/** The month's diversion cases (窜货案件) in the caller's scope. */
export default function Cases() {
  const t = useT(m);
  const { lang } = useLang();
  const filters = useUrlFilters();
  const names = useDistributorNames();
  const period = filters.get("period") ?? lastMonth();
  const distributorId = filters.get("distributor_id");
  const status = filters.get("status") as Case["status"] | undefined;
  const list = useRemote(
    () => ok(api().GET("/diversion-cases", { params: { query: { period, distributor_id: distributorId, status } } })),
    [period, distributorId, status],
  );
  return (
    <>
      <Typography.Title level={3} style={{ marginTop: 0 }}>{t("cases")}</Typography.Title>
      <Space wrap style={{ marginBottom: 16 }}>
        <MonthPicker label={t("month")} value={period} onChange={(v) => filters.set("period", v)} />
        <DistributorSelect names={names} label={t("distributor")} value={distributorId} onChange={(v) => filters.set("distributor_id", v)} />
        <Radio.Group
          optionType="button"
          value={status ?? ""}
          onChange={(e) => filters.set("status", e.target.value || undefined)}
          options={[{ value: "", label: "全部 All" }, ...options(CASE_STATUSES, lang)]}
        />
      </Space>
      <ProblemAlert error={list.error} />
      <Table<Case>
        rowKey="id"
        size="small"
        loading={list.loading}
        dataSource={list.data?.items ?? []}
        pagination={false}
        locale={{ emptyText: t("empty") }}
        columns={[
          { title: t("distributor"), dataIndex: "distributor_id", render: (d: string) => names[d] ?? d },
          { title: t("signal"), render: (_, c) => <Link to={`/rebates/cases/${c.id}`}>{signalLabel(c, t)}</Link> },
          { title: t("status"), dataIndex: "status", render: (s: string) => <Tag color={CASE_COLORS[s]}>{name(CASE_STATUSES, s, lang)}</Tag> },
          { title: t("penaltyAmount"), render: (_, c) => (c.penalty ? penaltyText(c.penalty, t("forfeit")) : "—") },
          { title: t("opened"), dataIndex: "opened_at", render: formatDateTime },
        ]}
      />
    </>
  );
}

function signalLabel(c: Case, t: (key: "batchCrossing" | "outOfTerritory") => string): string {
  if (c.batch_crossing) return `${t("batchCrossing")} · ${c.batch_crossing.sku} ${c.batch_crossing.batch}`;
  if (c.out_of_territory) return `${t("outOfTerritory")} · ${c.out_of_territory.customer_name}`;
  return c.signal;
}

/** "¥50.00 + 扣除当月返利": what a penalty takes. */
function penaltyText(penalty: NonNullable<Case["penalty"]>, forfeit: string): string {
  return [penalty.amount ? formatAmount(penalty.amount) : null, penalty.forfeit_rebate ? forfeit : null].filter(Boolean).join(" + ");
}

/** One case: its signal and evidence, notes, and the decision. */
export function CasePage() {
  const { id = "" } = useParams();
  const t = useT(m);
  const { lang } = useLang();
  const { message } = App.useApp();
  const names = useDistributorNames();
  const nameOf = useUserNames();
  const products = useProductNames();
  const productName = (sku: string) => (products[sku] ? `${products[sku]}（${sku}）` : sku);
  const found = useRemote(() => withEtag(api().GET("/diversion-cases/{case_id}", { params: { path: { case_id: id } } })), [id]);
  const [note, setNote] = useState("");
  const [error, setError] = useState<unknown>();
  const [form] = Form.useForm<{ decision: "confirmed" | "dismissed"; comment: string; amount?: string; forfeit?: boolean }>();
  const decision = Form.useWatch("decision", form);
  if (found.loading && !found.data) return <Spin />;
  const c = found.data?.data;
  if (!c) return <ProblemAlert error={found.error} />;
  const etag = found.data?.etag ?? "";

  async function addNote() {
    setError(undefined);
    try {
      await ok(api().POST("/diversion-cases/{case_id}/notes", { params: { path: { case_id: id }, header: { "if-match": etag } }, body: { text: note } }));
      setNote("");
      message.success(t("noteAdded"));
      found.reload();
    } catch (err) {
      setError(err);
    }
  }

  async function decide(values: { decision: "confirmed" | "dismissed"; comment: string; amount?: string; forfeit?: boolean }) {
    setError(undefined);
    const penalty = values.decision === "confirmed" && (values.amount || values.forfeit) ? { amount: values.amount || null, forfeit_rebate: Boolean(values.forfeit) } : null;
    try {
      await ok(
        api().POST("/diversion-cases/{case_id}/decision", {
          params: { path: { case_id: id }, header: { "if-match": etag } },
          body: { decision: values.decision, comment: values.comment, penalty },
        }),
      );
      message.success(t("decided"));
      found.reload();
    } catch (err) {
      showFieldErrors(form, err);
      setError(err);
    }
  }

  const signal = c.batch_crossing ?? c.out_of_territory;
  return (
    <>
      <Typography.Title level={3} style={{ marginTop: 0 }}>
        {t("cases")} · {names[c.distributor_id] ?? c.distributor_id} · {c.period}
      </Typography.Title>
      <ProblemAlert error={error} />
      <Descriptions size="small" bordered column={{ xs: 1, md: 3 }} style={{ marginBottom: 16 }}>
        <Descriptions.Item label={t("status")}><Tag color={CASE_COLORS[c.status]} data-testid="case-status">{name(CASE_STATUSES, c.status, lang)}</Tag></Descriptions.Item>
        <Descriptions.Item label={t("signal")}>{signalLabel(c, t)}</Descriptions.Item>
        <Descriptions.Item label={t("quantity")}>{formatQty(signal?.quantity)}</Descriptions.Item>
        <Descriptions.Item label={t("opened")}>{`${formatDateTime(c.opened_at)} · ${nameOf(c.opened_by)}`}</Descriptions.Item>
        {c.decision && <Descriptions.Item label={t("decision")}>{`${c.decision === "confirmed" ? t("confirm") : t("dismiss")}：${c.decision_comment ?? ""}`}</Descriptions.Item>}
        {c.penalty && (
          <Descriptions.Item label={t("penaltyAmount")}>
            {penaltyText(c.penalty, t("forfeit"))}
          </Descriptions.Item>
        )}
        {c.approval_id && <Descriptions.Item label={t("approval")}><Link to={`/approvals/${c.approval_id}`}>{t("approval")}</Link></Descriptions.Item>}
      </Descriptions>
      <Card size="small" title={`${t("evidence")}（${signal?.evidence_total ?? 0}）`} style={{ marginBottom: 16 }}>
        <EvidenceTable rows={signal?.evidence ?? []} total={signal?.evidence_total ?? 0} productName={productName} />
      </Card>
      <Flex gap={16} wrap align="start">
        <Card size="small" title={t("notes")} style={{ flex: "1 1 380px" }}>
          <List
            size="small"
            dataSource={c.notes}
            locale={{ emptyText: t("empty") }}
            renderItem={(n) => (
              <List.Item>
                <List.Item.Meta title={`${nameOf(n.by)} · ${formatDateTime(n.at)}`} description={n.text} />
              </List.Item>
            )}
          />
          {c.status !== "dismissed" && (
            <Flex gap={8} style={{ marginTop: 8 }}>
              <Input.TextArea value={note} onChange={(e) => setNote(e.target.value)} rows={2} aria-label={t("addNote")} />
              <Button onClick={addNote} disabled={!note.trim() || found.loading}>
                {t("addNote")}
              </Button>
            </Flex>
          )}
        </Card>
        {c.status === "open" && (
          <Card size="small" title={t("decide")} style={{ flex: "1 1 380px" }}>
            <Form form={form} layout="vertical" onFinish={decide} initialValues={{ decision: "confirmed" }}>
              <Form.Item name="decision">
                <Radio.Group options={[{ value: "confirmed", label: t("confirm") }, { value: "dismissed", label: t("dismiss") }]} />
              </Form.Item>
              {decision === "confirmed" && (
                <Flex gap={16} align="center">
                  <Form.Item name="amount" label={t("penaltyAmount")} rules={[{ pattern: /^\d+(\.\d{1,2})?$/ }]}>
                    <Input style={{ width: 160 }} prefix="¥" />
                  </Form.Item>
                  <Form.Item name="forfeit" valuePropName="checked">
                    <Checkbox>{t("forfeit")}</Checkbox>
                  </Form.Item>
                </Flex>
              )}
              <Form.Item name="comment" label={t("comment")} rules={[{ required: true }]}>
                <Input.TextArea rows={2} />
              </Form.Item>
              <Button type="primary" htmlType="submit" disabled={found.loading}>
                {t("decide")}
              </Button>
            </Form>
          </Card>
        )}
      </Flex>
    </>
  );
}
