import { Alert, App, Button, Descriptions, Flex, Form, Input, InputNumber, Modal, Result, Space, Spin, Table, Tabs, Typography } from "antd";
import { useRef, useState } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router-dom";
import { api, ApiProblem, ok, withEtag, type Problem, type Schemas } from "../../api/client";
import { Pager } from "../../components/Pager";
import { ProblemAlert } from "../../components/Problem";
import { useCursorList } from "../../components/useCursorList";
import { useRemote } from "../../components/useRemote";
import { hasRole, useUser } from "../../components/UserContext";
import { formatAmount, formatDateTime, formatQty } from "../../format";
import { useLang, useT } from "../../i18n";
import { CUSTOMER_TYPES, name, ORDER_STATES } from "../../labels";
import { APPROVERS, MANAGERS } from "../../modules";
import { type Order, OrderLines, OrderStateTag, ReturnStateTag, shortId, TransitionHistory, useUserNames, type ReturnRequest } from "./common";
import { m } from "./messages";

type Dialog = "submit" | "withdraw" | "void" | "close";
const ORDERING = ["rep", "dept_head", "branch_head", "hq_admin", "distributor"] as const; // order:create (a distributor: for itself)

export default function OrderPage() {
  const { id = "" } = useParams();
  const t = useT(m);
  const { lang } = useLang();
  const who = useUserNames();
  const location = useLocation();
  const order = useRemote(() => withEtag(api().GET("/orders/{order_id}", { params: { path: { order_id: id } } })), [id]);
  const [submitError, setSubmitError] = useState<Problem | string | undefined>((location.state as { submitError?: Problem } | null)?.submitError);
  const [tab, setTab] = useState("lines");

  if (order.loading && !order.data) return <Spin />;
  if (order.error instanceof ApiProblem && order.error.status === 404)
    return <Result status="404" title={t("notFound")} extra={<Link to="/orders">{t("back")}</Link>} />;
  if (!order.data) return <ProblemAlert error={order.error} />;
  const { data: o, etag } = order.data;

  return (
    <>
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 12 }}>
        <Space wrap>
          <Typography.Title level={3} style={{ margin: 0 }}>
            {t("orderTitle", { no: shortId(o.id) })}
          </Typography.Title>
          <span data-testid="order-state">
            <OrderStateTag state={o.state} />
          </span>
        </Space>
        <Actions order={o} etag={etag} onChanged={() => { setSubmitError(undefined); order.reload(); }} />
      </Flex>
      {submitError && (
        <ProblemAlert
          error={typeof submitError === "string" ? new Error(submitError) : new ApiProblem(submitError, submitError.status ?? 422)}
          onClose={() => setSubmitError(undefined)}
        />
      )}
      {o.state === "submitted" && <WaitingApproval order={o} />}
      {o.state === "saved" && o.submitted_by && <LastRejection order={o} />}
      <ProblemAlert error={order.error} />
      <Descriptions bordered size="small" column={{ xs: 1, md: 2, lg: 3 }} style={{ marginBottom: 16 }}>
        <Descriptions.Item label={t("customer")}>
          <Link to={`/customers/${o.customer_id}`}>{o.customer_name}</Link>
        </Descriptions.Item>
        <Descriptions.Item label={t("customerType")}>{`${name(CUSTOMER_TYPES, o.customer_type, lang)} · ${o.customer_level ?? t("noLevel")}`}</Descriptions.Item>
        <Descriptions.Item label={t("total")}>
          <Typography.Text strong>{formatAmount(o.total)}</Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t("owner")}>{who(o.owner_id)}</Descriptions.Item>
        <Descriptions.Item label={t("createdBy")}>{`${who(o.created_by)} · ${formatDateTime(o.created_at)}`}</Descriptions.Item>
        <Descriptions.Item label={t("submittedBy")}>{o.submitted_by ? `${who(o.submitted_by)} · ${formatDateTime(o.submitted_at)}` : "—"}</Descriptions.Item>
        <Descriptions.Item label={t("erpOrderNo")}>{o.erp_order_no ?? "—"}</Descriptions.Item>
        <Descriptions.Item label={t("updatedAt")}>{`${formatDateTime(o.updated_at)} · ${who(o.updated_by)}`}</Descriptions.Item>
        <Descriptions.Item label={t("remarks")}>{o.remarks ?? "—"}</Descriptions.Item>
      </Descriptions>
      <Tabs
        activeKey={tab}
        onChange={setTab}
        destroyOnHidden
        items={[
          { key: "lines", label: t("tabLines"), children: <OrderLines order={o} /> },
          {
            key: "history",
            label: t("tabHistory"),
            children: (
              <TransitionHistory
                states={ORDER_STATES}
                deps={[id, o.version]}
                load={(cursor) => ok(api().GET("/orders/{order_id}/history", { params: { path: { order_id: id }, query: { cursor } } }))}
              />
            ),
          },
          ...((o.shipments ?? []).length ? [{ key: "shipments", label: t("tabShipments"), children: <Shipments order={o} /> }] : []),
          { key: "returns", label: t("tabReturns"), children: <Returns order={o} onChanged={order.reload} /> },
        ]}
      />
    </>
  );
}

/** Approvers find the approval this order waits on in their inbox (the order itself does not name it). */
function WaitingApproval({ order }: { order: Order }) {
  const t = useT(m);
  const user = useUser();
  const approver = hasRole(user, ...APPROVERS);
  const found = useRemote(async () => {
    if (!approver) return undefined;
    let cursor: string | undefined;
    for (let pages = 0; pages < 5; pages++) {
      const page = await ok(api().GET("/approvals/inbox", { params: { query: { limit: 200, cursor } } }));
      const entry = page.items.find((i) => i.kind === "order" && i.subject_id === order.id);
      if (entry || !page.next_cursor) return entry;
      cursor = page.next_cursor;
    }
    return undefined;
  }, [order.id, approver]);
  return (
    <Alert
      type="info"
      showIcon
      style={{ marginBottom: 12 }}
      title={t("waitsOn")}
      action={found.data ? <Link to={`/approvals/${found.data.approval_id}`}>{t("openApproval")}</Link> : undefined}
    />
  );
}

/** A saved order that was submitted before came back: say why, with the approver's comment, above everything. */
function LastRejection({ order }: { order: Order }) {
  const t = useT(m);
  const who = useUserNames();
  const history = useRemote(async () => {
    const entries: Schemas["Transition"][] = [];
    let cursor: string | undefined;
    do {
      const page = await ok(api().GET("/orders/{order_id}/history", { params: { path: { order_id: order.id }, query: { cursor, limit: 200 } } }));
      entries.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return entries;
  }, [order.id, order.version]);
  const last = history.data?.at(-1);
  if (!last || (last.action !== "reject" && last.action !== "expire")) return null;
  return (
    <Alert
      type="warning"
      showIcon
      data-testid="last-rejection"
      style={{ marginBottom: 12 }}
      title={t(last.action === "reject" ? "lastRejected" : "lastExpired", { comment: last.comment ?? "—" })}
      description={t("rejectedAt", { who: who(last.by), at: formatDateTime(last.at) })}
    />
  );
}

function Actions({ order: o, etag, onChanged }: { order: Order; etag: string; onChanged: () => void }) {
  const t = useT(m);
  const user = useUser();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const [dialog, setDialog] = useState<Dialog>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ comment?: string; reason?: string }>();
  const submitKey = useRef(crypto.randomUUID());
  const ordering = hasRole(user, ...ORDERING);
  const manager = hasRole(user, ...MANAGERS);
  const path = { order_id: o.id };

  async function run() {
    const values = await form.validateFields();
    const comment = values.comment?.trim() || null;
    setBusy(true);
    setError(undefined);
    try {
      const header = { "if-match": etag };
      if (dialog === "submit") {
        await ok(api().POST("/orders/{order_id}/submit", { params: { path, header: { ...header, "idempotency-key": submitKey.current } }, body: { comment } }));
        message.success(t("submitted"));
      } else if (dialog === "withdraw") {
        await ok(api().POST("/orders/{order_id}/withdraw", { params: { path, header }, body: { comment } }));
        message.success(t("withdrawn"));
      } else if (dialog === "void") {
        await ok(api().POST("/orders/{order_id}/void", { params: { path, header }, body: { reason: values.reason?.trim() ?? "" } }));
        message.success(t("voided"));
      } else if (dialog === "close") {
        await ok(api().POST("/orders/{order_id}/close", { params: { path, header }, body: { comment } }));
        message.success(t("closed"));
      }
      setDialog(undefined);
      form.resetFields();
      submitKey.current = crypto.randomUUID();
      onChanged();
    } catch (err) {
      setError(err);
      if (err instanceof ApiProblem && err.status === 412) onChanged(); // someone changed it: show the fresh order
    } finally {
      setBusy(false);
    }
  }

  const titles: Record<Dialog, string> = { submit: t("submit"), withdraw: t("withdraw"), void: t("void"), close: t("close") };
  const open = (d: Dialog) => {
    setError(undefined);
    setDialog(d);
  };
  return (
    <Space wrap>
      {ordering && o.state === "saved" && (
        <Button onClick={() => navigate(`/orders/${o.id}/edit`)}>{t("edit")}</Button>
      )}
      {ordering && o.state === "saved" && (
        <Button type="primary" onClick={() => open("submit")}>
          {t("submit")}
        </Button>
      )}
      {ordering && o.state === "submitted" && o.submitted_by === user.id && <Button onClick={() => open("withdraw")}>{t("withdraw")}</Button>}
      {ordering && o.state === "shipped" && <Button onClick={() => open("close")}>{t("close")}</Button>}
      {manager && (o.state === "saved" || o.state === "submitted") && (
        <Button danger onClick={() => open("void")}>
          {t("void")}
        </Button>
      )}
      <Modal
        open={dialog !== undefined}
        title={dialog && titles[dialog]}
        okText={dialog && titles[dialog]}
        confirmLoading={busy}
        onOk={() => void run()}
        onCancel={() => setDialog(undefined)}
        destroyOnHidden
      >
        <ProblemAlert error={error} />
        <Form form={form} layout="vertical">
          {dialog === "void" ? (
            <Form.Item name="reason" label={t("voidReason")} rules={[{ required: true, whitespace: true }, { max: 500 }]}>
              <Input.TextArea rows={2} />
            </Form.Item>
          ) : (
            <Form.Item name="comment" label={t("comment")} rules={[{ max: 500 }]}>
              <Input.TextArea rows={2} />
            </Form.Item>
          )}
        </Form>
      </Modal>
    </Space>
  );
}

function Shipments({ order }: { order: Order }) {
  const t = useT(m);
  const rows = (order.shipments ?? []).flatMap((s) => s.lines.map((l, i) => ({ key: `${s.delivery_no}-${i}`, ...l, delivery_no: s.delivery_no, outbound_no: s.outbound_no, reported_at: s.reported_at })));
  return (
    <Table
      rowKey="key"
      size="small"
      pagination={false}
      dataSource={rows}
      scroll={{ x: 700 }}
      columns={[
        { title: t("deliveryNo"), dataIndex: "delivery_no" },
        { title: t("outboundNo"), dataIndex: "outbound_no" },
        { title: t("sku"), dataIndex: "sku" },
        { title: t("batch"), dataIndex: "batch" },
        { title: t("quantity"), dataIndex: "quantity", align: "right", render: (v: number) => formatQty(v) },
        { title: t("reportedAt"), dataIndex: "reported_at", render: formatDateTime },
      ]}
    />
  );
}

interface Returnable {
  key: string;
  sku: string;
  name: string;
  batch: string;
  shipped: number;
  returned: number;
  left: number;
}

/** What may still be returned per SKU and batch: shipped minus returned (pending returns included). */
function returnable(order: Order): Returnable[] {
  const names = Object.fromEntries(order.lines.map((l) => [l.sku, `${l.name} ${l.spec}`]));
  const key = (q: Schemas["SkuBatchQuantity"]) => `${q.sku}\u0000${q.batch}`;
  const returned = new Map<string, number>();
  for (const q of order.returned ?? []) returned.set(key(q), (returned.get(key(q)) ?? 0) + q.quantity);
  const shipped = new Map<string, Schemas["SkuBatchQuantity"]>();
  for (const q of order.shipped ?? []) {
    const before = shipped.get(key(q));
    shipped.set(key(q), { ...q, quantity: (before?.quantity ?? 0) + q.quantity });
  }
  return [...shipped.entries()].map(([k, q]) => {
    const back = returned.get(k) ?? 0;
    return { key: k, sku: q.sku, name: names[q.sku] ?? q.sku, batch: q.batch, shipped: q.quantity, returned: back, left: Math.max(0, q.quantity - back) };
  });
}

function Returns({ order, onChanged }: { order: Order; onChanged: () => void }) {
  const t = useT(m);
  const user = useUser();
  const who = useUserNames();
  const list = useCursorList<ReturnRequest>(
    (cursor) => ok(api().GET("/orders/{order_id}/returns", { params: { path: { order_id: order.id }, query: { cursor } } })),
    [order.id, order.version],
  );
  const [open, setOpen] = useState(false);
  const mayReturn = hasRole(user, ...ORDERING) && (order.state === "shipped" || order.state === "closed");
  return (
    <>
      {mayReturn && (
        <Button type="primary" style={{ marginBottom: 12 }} onClick={() => setOpen(true)}>
          {t("newReturn")}
        </Button>
      )}
      <ProblemAlert error={list.error} />
      <Table<ReturnRequest>
        rowKey="id"
        size="small"
        pagination={false}
        loading={list.loading}
        dataSource={list.items}
        scroll={{ x: 760 }}
        locale={{ emptyText: t("empty") }}
        columns={[
          { title: t("returnNo"), dataIndex: "id", width: 110, render: (v: string) => <Link to={`/returns/${v}`}>{shortId(v)}</Link> },
          { title: t("returnState"), dataIndex: "state", width: 100, render: (v: string) => <ReturnStateTag state={v} /> },
          { title: t("total"), dataIndex: "total", width: 120, align: "right", render: (v: string) => formatAmount(v) },
          { title: t("returnReason"), dataIndex: "reason" },
          { title: t("createdBy"), dataIndex: "created_by", width: 120, render: (v: string) => who(v) },
          { title: t("createdAt"), dataIndex: "created_at", width: 150, render: formatDateTime },
        ]}
      />
      <Pager pageNumber={list.pageNumber} hasNext={list.hasNext} next={list.next} previous={list.previous} />
      {open && (
        <NewReturn
          order={order}
          onClose={(created) => {
            setOpen(false);
            if (created) onChanged();
          }}
        />
      )}
    </>
  );
}

function NewReturn({ order, onClose }: { order: Order; onClose: (created: boolean) => void }) {
  const t = useT(m);
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [form] = Form.useForm<{ reason: string; qty: Record<string, number | null> }>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const key = useRef(crypto.randomUUID());
  const rows = returnable(order);

  async function create() {
    const values = await form.validateFields();
    const lines = rows.filter((r) => (values.qty?.[r.key] ?? 0) > 0).map((r) => ({ sku: r.sku, batch: r.batch, quantity: values.qty[r.key] as number }));
    if (!lines.length) {
      setError(new Error(t("pickOneLine")));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const created = await ok(
        api().POST("/orders/{order_id}/returns", {
          params: { path: { order_id: order.id }, header: { "idempotency-key": key.current } },
          body: { lines, reason: values.reason.trim() },
        }),
      );
      message.success(t("returnCreated"));
      onClose(true);
      navigate(`/returns/${created.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal open width={820} title={t("newReturn")} okText={t("newReturn")} confirmLoading={busy} onOk={() => void create()} onCancel={() => onClose(false)}>
      <ProblemAlert error={error} />
      <Form form={form} layout="vertical">
        <Table<Returnable>
          rowKey="key"
          size="small"
          pagination={false}
          dataSource={rows}
          locale={{ emptyText: t("nothingToReturn") }}
          scroll={{ x: 640 }}
          style={{ marginBottom: 16 }}
          columns={[
            { title: t("product"), dataIndex: "name", render: (v: string, r) => `${v}（${r.sku}）` },
            { title: t("batch"), dataIndex: "batch", width: 100 },
            { title: t("shipped"), dataIndex: "shipped", width: 80, align: "right", render: (v: number) => formatQty(v) },
            { title: t("returned"), dataIndex: "returned", width: 100, align: "right", render: (v: number) => formatQty(v) },
            {
              title: t("returnQty"),
              key: "qty",
              width: 130,
              render: (_, r) => (
                <Form.Item name={["qty", r.key]} noStyle rules={[{ type: "integer", min: 0, max: r.left }]}>
                  <InputNumber aria-label={`${t("returnQty")} ${r.sku} ${r.batch}`} min={0} max={r.left} precision={0} disabled={r.left === 0} placeholder={`≤ ${r.left}`} style={{ width: "100%" }} />
                </Form.Item>
              ),
            },
          ]}
        />
        <Form.Item name="reason" label={t("returnReason")} rules={[{ required: true, whitespace: true }, { max: 500 }]}>
          <Input.TextArea rows={2} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
