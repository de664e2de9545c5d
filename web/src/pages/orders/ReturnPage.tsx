import { App, Button, Descriptions, Flex, Form, Input, Modal, Result, Space, Spin, Table, Tabs, Typography } from "antd";
import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api, ApiProblem, ok, type Schemas } from "../../api/client";
import { ProblemAlert } from "../../components/Problem";
import { useRemote } from "../../components/useRemote";
import { hasRole, useUser } from "../../components/UserContext";
import { formatAmount, formatDateTime, formatQty } from "../../format";
import { useT } from "../../i18n";
import { RETURN_STATES, ReturnStateTag, type ReturnRequest, shortId, TransitionHistory, useUserNames } from "./common";
import { m } from "./messages";

const ORDERING = ["rep", "dept_head", "branch_head", "hq_admin"] as const; // order:create

export default function ReturnPage() {
  const { id = "" } = useParams();
  const t = useT(m);
  const who = useUserNames();
  const ret = useRemote(() => ok(api().GET("/returns/{return_id}", { params: { path: { return_id: id } } })), [id]);
  const orderId = ret.data?.order_id;
  const order = useRemote(
    () => (orderId ? ok(api().GET("/orders/{order_id}", { params: { path: { order_id: orderId } } })) : Promise.resolve(undefined)),
    [orderId],
  );

  if (ret.loading && !ret.data) return <Spin />;
  if (ret.error instanceof ApiProblem && ret.error.status === 404)
    return <Result status="404" title={t("notFound")} extra={<Link to="/orders">{t("back")}</Link>} />;
  if (!ret.data) return <ProblemAlert error={ret.error} />;
  const r = ret.data;
  const names = Object.fromEntries((order.data?.lines ?? []).map((l) => [l.sku, `${l.name} ${l.spec}`]));

  return (
    <>
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 12 }}>
        <Space wrap>
          <Typography.Title level={3} style={{ margin: 0 }}>
            {`${t("returnTitle")} ${shortId(r.id)}`}
          </Typography.Title>
          <span data-testid="return-state">
            <ReturnStateTag state={r.state} />
          </span>
        </Space>
        <CloseReturn ret={r} onChanged={ret.reload} />
      </Flex>
      <Descriptions bordered size="small" column={{ xs: 1, md: 2, lg: 3 }} style={{ marginBottom: 16 }}>
        <Descriptions.Item label={t("order")}>
          <Link to={`/orders/${r.order_id}`}>{shortId(r.order_id)}</Link>
        </Descriptions.Item>
        <Descriptions.Item label={t("customer")}>
          <Link to={`/customers/${r.customer_id}`}>{order.data?.customer_name ?? r.customer_id}</Link>
        </Descriptions.Item>
        <Descriptions.Item label={t("total")}>
          <Typography.Text strong>{formatAmount(r.total)}</Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t("returnReason")} span={2}>
          {r.reason}
        </Descriptions.Item>
        <Descriptions.Item label={t("createdBy")}>{`${who(r.created_by)} · ${formatDateTime(r.created_at)}`}</Descriptions.Item>
      </Descriptions>
      <Tabs
        destroyOnHidden
        items={[
          {
            key: "lines",
            label: t("tabLines"),
            children: (
              <Table<Schemas["ReturnLine"]>
                rowKey={(l) => `${l.sku}-${l.batch}`}
                size="small"
                pagination={false}
                dataSource={r.lines}
                scroll={{ x: 700 }}
                columns={[
                  { title: t("sku"), dataIndex: "sku", width: 110 },
                  { title: t("product"), key: "name", render: (_, l) => names[l.sku] ?? "—" },
                  { title: t("batch"), dataIndex: "batch", width: 110 },
                  { title: t("quantity"), dataIndex: "quantity", align: "right", width: 90, render: (v: number) => formatQty(v) },
                  { title: t("unitPrice"), dataIndex: "unit_price", align: "right", width: 110, render: (v: string) => formatAmount(v) },
                  { title: t("amount"), dataIndex: "amount", align: "right", width: 120, render: (v: string) => formatAmount(v) },
                ]}
              />
            ),
          },
          {
            key: "history",
            label: t("tabHistory"),
            children: (
              <TransitionHistory
                states={RETURN_STATES}
                deps={[id, r.version]}
                load={(cursor) => ok(api().GET("/returns/{return_id}/history", { params: { path: { return_id: id }, query: { cursor } } }))}
              />
            ),
          },
        ]}
      />
    </>
  );
}

function CloseReturn({ ret, onChanged }: { ret: ReturnRequest; onChanged: () => void }) {
  const t = useT(m);
  const user = useUser();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ comment?: string }>();
  if (ret.state !== "approved" || !hasRole(user, ...ORDERING)) return null;

  async function close() {
    const values = await form.validateFields();
    setBusy(true);
    setError(undefined);
    try {
      await ok(api().POST("/returns/{return_id}/close", { params: { path: { return_id: ret.id } }, body: { comment: values.comment?.trim() || null } }));
      message.success(t("returnClosed"));
      setOpen(false);
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <Button onClick={() => setOpen(true)}>{t("closeReturn")}</Button>
      <Modal open={open} title={t("closeReturn")} okText={t("closeReturn")} confirmLoading={busy} onOk={() => void close()} onCancel={() => setOpen(false)} destroyOnHidden>
        <ProblemAlert error={error} />
        <Form form={form} layout="vertical">
          <Form.Item name="comment" label={t("comment")} rules={[{ max: 500 }]}>
            <Input.TextArea rows={2} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
