import { Alert, App, Button, Card, Descriptions, Flex, Form, Input, Result, Space, Spin, Table, Tag, Typography } from "antd";
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api, ApiProblem, ok, type Schemas } from "../../api/client";
import { ProblemAlert } from "../../components/Problem";
import { useRemote } from "../../components/useRemote";
import { useUser } from "../../components/UserContext";
import { useDistributorNames } from "../../components/useDistributors";
import { formatAmount, formatDate, formatDateTime, formatQty } from "../../format";
import { useLang, useT } from "../../i18n";
import { APPROVAL_KINDS, CUSTOMER_STATUSES, CUSTOMER_TYPES, name } from "../../labels";
import { OrderLines, OrderStateTag, ReturnStateTag, shortId, useUserNames } from "../orders/common";
import { APPROVAL_STATUSES, APPROVER_ROLES, StatusTag, STEP_STATUSES } from "./common";
import { m } from "./messages";

type Approval = Schemas["Approval"];
type Step = Schemas["Step"];

export default function ApprovalPage() {
  const { id = "" } = useParams();
  const t = useT(m);
  const { lang } = useLang();
  const who = useUserNames();
  const approval = useRemote(() => ok(api().GET("/approvals/{approval_id}", { params: { path: { approval_id: id } } })), [id]);
  const [decidedAt, setDecidedAt] = useState(0); // a decision's time: the subject is read again until it moved

  if (approval.loading && !approval.data) return <Spin />;
  if (approval.error instanceof ApiProblem && approval.error.status === 404)
    return <Result status="404" title={t("notFound")} extra={<Link to="/approvals">{t("back")}</Link>} />;
  if (!approval.data) return <ProblemAlert error={approval.error} />;
  const a = approval.data;

  return (
    <>
      <Flex align="center" wrap gap={8} style={{ marginBottom: 12 }}>
        <Tag>{name(APPROVAL_KINDS, a.kind, lang)}</Tag>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {a.subject_label}
        </Typography.Title>
        <span data-testid="approval-status">
          <StatusTag status={a.status} names={APPROVAL_STATUSES} />
        </span>
      </Flex>
      <ProblemAlert error={approval.error} />
      <Descriptions bordered size="small" column={{ xs: 1, md: 2, lg: 3 }} style={{ marginBottom: 16 }}>
        <Descriptions.Item label={t("kind")}>{name(APPROVAL_KINDS, a.kind, lang)}</Descriptions.Item>
        <Descriptions.Item label={t("amount")}>{formatAmount(a.amount)}</Descriptions.Item>
        <Descriptions.Item label={t("status")}>{name(APPROVAL_STATUSES, a.status, lang)}</Descriptions.Item>
        <Descriptions.Item label={t("submittedBy")}>{who(a.submitted_by)}</Descriptions.Item>
        <Descriptions.Item label={t("submittedAt")}>{formatDateTime(a.created_at)}</Descriptions.Item>
        <Descriptions.Item label={t("finishedAt")}>{formatDateTime(a.finished_at)}</Descriptions.Item>
        {a.reason && <Descriptions.Item label={t("reason")}>{a.reason}</Descriptions.Item>}
      </Descriptions>
      <Subject approval={a} decidedAt={decidedAt} />
      <Steps approval={a} />
      <DecisionForm
        approval={a}
        onDecided={(decided) => {
          approval.setData(decided);
          setDecidedAt(Date.now());
        }}
        onConflict={() => {
          approval.reload();
          setDecidedAt(Date.now()); // decided elsewhere: the subject moves on as well
        }}
      />
    </>
  );
}

/** Reads the subject again each second for a while after a decision: the subject moves once the run applies it. */
function useSubject<T extends { state: string }>(load: () => Promise<T>, deps: unknown[], decidedAt: number) {
  const subject = useRemote(load, deps);
  const { reload } = subject;
  useEffect(() => {
    if (!decidedAt) return;
    let tries = 0;
    const timer = setInterval(() => {
      tries += 1;
      if (tries > 15) clearInterval(timer);
      else reload();
    }, 1000);
    return () => clearInterval(timer);
  }, [decidedAt, reload]);
  return subject;
}

function Subject({ approval: a, decidedAt }: { approval: Approval; decidedAt: number }) {
  if (a.kind === "order") return <OrderSubject id={a.subject_id} decidedAt={decidedAt} />;
  if (a.kind === "return") return <ReturnSubject id={a.subject_id} decidedAt={decidedAt} />;
  if (a.kind === "customer_activation" || a.kind === "level_change") return <CustomerSubject approval={a} />;
  if (a.kind === "agreement" || a.kind === "accrual" || a.kind === "diversion_penalty") return <RebateSubject approval={a} />;
  return <AdjustmentSubject approval={a} />;
}

/** An agreement's version, an accrual voucher or a diversion case: what it is, and where to read it whole. */
function RebateSubject({ approval: a }: { approval: Approval }) {
  const t = useT(m);
  const path = { agreement: "agreements", accrual: "vouchers", diversion_penalty: "cases" }[a.kind as "agreement"];
  return (
    <Card size="small" title={t("subject")} style={{ marginBottom: 16 }} data-testid="subject">
      <Typography.Paragraph style={{ marginBottom: 8 }}>{a.subject_label}</Typography.Paragraph>
      <Link to={`/rebates/${path}/${a.subject_id}`}>{t("open")}</Link>
    </Card>
  );
}

function OrderSubject({ id, decidedAt }: { id: string; decidedAt: number }) {
  const t = useT(m);
  const order = useSubject(() => ok(api().GET("/orders/{order_id}", { params: { path: { order_id: id } } })), [id], decidedAt);
  const o = order.data;
  return (
    <Card
      size="small"
      title={o ? `${t("order")} ${shortId(o.id)}` : t("order")}
      extra={<Link to={`/orders/${id}`}>{t("openOrder")}</Link>}
      style={{ marginBottom: 16 }}
      data-testid="subject"
    >
      <ProblemAlert error={order.error} />
      {!o ? (
        order.loading && <Spin />
      ) : (
        <>
          <Descriptions size="small" column={{ xs: 1, md: 3 }} style={{ marginBottom: 12 }}>
            <Descriptions.Item label={t("customer")}>
              <Link to={`/customers/${o.customer_id}`}>{o.customer_name}</Link>
            </Descriptions.Item>
            <Descriptions.Item label={t("orderState")}>
              <span data-testid="subject-state">
                <OrderStateTag state={o.state} />
              </span>
            </Descriptions.Item>
            <Descriptions.Item label={t("total")}>
              <Typography.Text strong>{formatAmount(o.total)}</Typography.Text>
            </Descriptions.Item>
            {o.remarks && <Descriptions.Item label={t("remarks")}>{o.remarks}</Descriptions.Item>}
          </Descriptions>
          <OrderLines order={o} />
        </>
      )}
    </Card>
  );
}

function ReturnSubject({ id, decidedAt }: { id: string; decidedAt: number }) {
  const t = useT(m);
  const ret = useSubject(() => ok(api().GET("/returns/{return_id}", { params: { path: { return_id: id } } })), [id], decidedAt);
  const orderId = ret.data?.order_id;
  const order = useRemote(() => (orderId ? ok(api().GET("/orders/{order_id}", { params: { path: { order_id: orderId } } })) : Promise.resolve(undefined)), [orderId]);
  const r = ret.data;
  const names = Object.fromEntries((order.data?.lines ?? []).map((l) => [l.sku, `${l.name} ${l.spec}`]));
  return (
    <Card size="small" title={t("openReturn")} extra={<Link to={`/returns/${id}`}>{t("openReturn")}</Link>} style={{ marginBottom: 16 }} data-testid="subject">
      <ProblemAlert error={ret.error} />
      {r && (
        <>
          <Descriptions size="small" column={{ xs: 1, md: 3 }} style={{ marginBottom: 12 }}>
            <Descriptions.Item label={t("order")}>
              <Link to={`/orders/${r.order_id}`}>{order.data ? `${shortId(r.order_id)} · ${order.data.customer_name}` : shortId(r.order_id)}</Link>
            </Descriptions.Item>
            <Descriptions.Item label={t("returnState")}>
              <span data-testid="subject-state">
                <ReturnStateTag state={r.state} />
              </span>
            </Descriptions.Item>
            <Descriptions.Item label={t("total")}>
              <Typography.Text strong>{formatAmount(r.total)}</Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t("returnReason")}>{r.reason}</Descriptions.Item>
          </Descriptions>
          <Table<Schemas["ReturnLine"]>
            rowKey={(l) => `${l.sku}-${l.batch}`}
            size="small"
            pagination={false}
            dataSource={r.lines}
            scroll={{ x: 640 }}
            columns={[
              { title: t("sku"), dataIndex: "sku", width: 110 },
              { title: t("product"), key: "name", render: (_, l) => names[l.sku] ?? "—" },
              { title: t("batch"), dataIndex: "batch", width: 110 },
              { title: t("quantity"), dataIndex: "quantity", align: "right", width: 90, render: (v: number) => formatQty(v) },
              { title: t("unitPrice"), dataIndex: "unit_price", align: "right", width: 110, render: (v: string) => formatAmount(v) },
              { title: t("amount"), dataIndex: "amount", align: "right", width: 120, render: (v: string) => formatAmount(v) },
            ]}
          />
        </>
      )}
    </Card>
  );
}

function CustomerSubject({ approval: a }: { approval: Approval }) {
  const t = useT(m);
  const { lang } = useLang();
  const customer = useRemote(() => ok(api().GET("/customers/{customer_id}", { params: { path: { customer_id: a.subject_id } } })), [a.subject_id, a.version]);
  const c = customer.data;
  const p = (a.payload ?? {}) as { level?: string; effective_from?: string; reason?: string; comment?: string };
  return (
    <Card size="small" title={t("customer")} extra={<Link to={`/customers/${a.subject_id}`}>{t("openCustomer")}</Link>} style={{ marginBottom: 16 }} data-testid="subject">
      <ProblemAlert error={customer.error} />
      <Descriptions size="small" bordered column={{ xs: 1, md: 2, lg: 3 }}>
        <Descriptions.Item label={t("customer")}>{c ? <Link to={`/customers/${c.id}`}>{c.name}</Link> : "…"}</Descriptions.Item>
        <Descriptions.Item label={t("customerType")}>{c ? name(CUSTOMER_TYPES, c.type, lang) : "…"}</Descriptions.Item>
        <Descriptions.Item label={t("customerStatus")}>{c ? name(CUSTOMER_STATUSES, c.status, lang) : "…"}</Descriptions.Item>
        <Descriptions.Item label={t("currentLevel")}>{c ? (c.level ?? t("noLevel")) : "…"}</Descriptions.Item>
        {a.kind === "customer_activation" ? (
          <>
            <Descriptions.Item label={t("payload")}>{t("activationAsk")}</Descriptions.Item>
            <Descriptions.Item label={t("requestComment")}>{p.comment ?? "—"}</Descriptions.Item>
          </>
        ) : (
          <>
            <Descriptions.Item label={t("requestedLevel")}>
              <Typography.Text strong>{p.level ?? "—"}</Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t("effectiveFrom")}>{formatDate(p.effective_from)}</Descriptions.Item>
            <Descriptions.Item label={t("requestReason")}>{p.reason ?? "—"}</Descriptions.Item>
          </>
        )}
      </Descriptions>
    </Card>
  );
}

function AdjustmentSubject({ approval: a }: { approval: Approval }) {
  const t = useT(m);
  const distributors = useDistributorNames();
  const p = (a.payload ?? {}) as Record<string, unknown>;
  const known: [string, string][] = [
    ["period", t("period")],
    ["distributor_id", t("distributor")],
    ["sku", t("sku")],
    ["batch", t("batch")],
    ["quantity", t("adjustQty")],
    ["reason", t("requestReason")],
  ];
  const shown = (key: string, value: unknown) => {
    if (value === null || value === undefined || value === "") return "—";
    if (key === "distributor_id") return distributors[String(value)] ?? String(value);
    if (key === "quantity" && typeof value === "number") return `${value > 0 ? "+" : ""}${formatQty(value)}`;
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  };
  const rest = Object.keys(p).filter((k) => !known.some(([key]) => key === k));
  return (
    <Card size="small" title={t("payload")} style={{ marginBottom: 16 }} data-testid="subject">
      <Descriptions size="small" bordered column={{ xs: 1, md: 2, lg: 3 }}>
        {known
          .filter(([key]) => key in p)
          .map(([key, label]) => (
            <Descriptions.Item key={key} label={label}>
              {shown(key, p[key])}
            </Descriptions.Item>
          ))}
        {rest.map((key) => (
          <Descriptions.Item key={key} label={key}>
            {shown(key, p[key])}
          </Descriptions.Item>
        ))}
      </Descriptions>
    </Card>
  );
}

function Steps({ approval: a }: { approval: Approval }) {
  const t = useT(m);
  const { lang } = useLang();
  const who = useUserNames();
  const people = (ids?: string[] | null) => (ids ?? []).map((id) => who(id)).join("、") || "—";
  return (
    <Card size="small" title={t("steps")} style={{ marginBottom: 16 }}>
      <Table<Step & { n: number }>
        rowKey="n"
        size="small"
        pagination={false}
        dataSource={a.steps.map((s, n) => ({ ...s, n }))}
        scroll={{ x: 900 }}
        rowClassName={(s) => (s.n === a.current && a.status === "pending" ? "ant-table-row-selected" : "")}
        columns={[
          { title: "#", dataIndex: "n", width: 48, render: (n: number) => n + 1 },
          { title: t("role"), dataIndex: "role", width: 120, render: (v: string) => name(APPROVER_ROLES, v, lang) },
          { title: t("approvers"), dataIndex: "approvers", render: (v: string[], s) => (s.deputies?.length ? `${people(v)}（${t("deputies")}：${people(s.deputies)}）` : people(v)) },
          { title: t("stepStatus"), dataIndex: "status", width: 100, render: (v?: string) => <StatusTag status={v ?? "waiting"} names={STEP_STATUSES} /> },
          {
            title: t("decidedBy"),
            dataIndex: "decided_by",
            width: 160,
            render: (v: string | null | undefined, s) => (v ? `${who(v)}${s.on_behalf_of ? `（${t("onBehalfOf", { who: who(s.on_behalf_of) })}）` : ""}` : "—"),
          },
          { title: t("decidedAt"), dataIndex: "decided_at", width: 150, render: formatDateTime },
          { title: t("comment"), dataIndex: "comment", render: (v?: string | null) => v ?? "—" },
        ]}
      />
    </Card>
  );
}

function DecisionForm({ approval: a, onDecided, onConflict }: { approval: Approval; onDecided: (a: Approval) => void; onConflict: () => void }) {
  const t = useT(m);
  const user = useUser();
  const who = useUserNames();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ comment?: string }>();
  const [busy, setBusy] = useState<"approve" | "reject">();
  const [error, setError] = useState<unknown>();
  const step = a.steps[a.current];
  if (!step) return <ProblemAlert error={error} />;
  const mine = step.approvers.includes(user.id);
  const deputy = (step.deputies ?? []).includes(user.id);
  if (a.status !== "pending" || !(mine || deputy)) return <ProblemAlert error={error} />;

  async function decide(decision: "approve" | "reject") {
    form.setFields([{ name: "comment", errors: [] }]);
    const comment = (form.getFieldValue("comment") as string | undefined)?.trim();
    if (decision === "reject" && !comment) {
      form.setFields([{ name: "comment", errors: [t("rejectNeedsComment")] }]);
      return;
    }
    setBusy(decision);
    setError(undefined);
    try {
      const decided = await ok(api().POST("/approvals/{approval_id}/decision", { params: { path: { approval_id: a.id } }, body: { decision, comment: comment || null } }));
      message.success(decision === "approve" ? t("approvedDone") : t("rejectedDone"));
      form.resetFields();
      onDecided(decided);
    } catch (err) {
      setError(err);
      if (err instanceof ApiProblem && err.status === 409) onConflict(); // decided meanwhile: show how it stands
    } finally {
      setBusy(undefined);
    }
  }

  return (
    <Card size="small" title={t("decisionTitle")} data-testid="decision">
      <Alert type="info" showIcon style={{ marginBottom: 12 }} title={mine ? t("yourTurn") : t("yourTurnFor", { who: step.approvers.map((id) => who(id)).join("、") })} />
      <ProblemAlert error={error} />
      <Form form={form} layout="vertical">
        <Form.Item name="comment" label={t("comment")} rules={[{ max: 500 }]}>
          <Input.TextArea rows={3} placeholder={t("commentPlaceholder")} maxLength={500} />
        </Form.Item>
        <Space>
          <Button type="primary" loading={busy === "approve"} disabled={Boolean(busy)} onClick={() => void decide("approve")}>
            {t("approve")}
          </Button>
          <Button danger loading={busy === "reject"} disabled={Boolean(busy)} onClick={() => void decide("reject")}>
            {t("reject")}
          </Button>
        </Space>
      </Form>
    </Card>
  );
}
