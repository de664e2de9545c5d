import { Alert, App, Button, DatePicker, Descriptions, Flex, Form, Input, Modal, Result, Select, Space, Spin, Table, Tabs, Tag, Typography } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { api, ApiProblem, ok, withEtag, type Schemas } from "../../api/client";
import { lastMonth, MonthPicker } from "../../components/filters";
import { Pager } from "../../components/Pager";
import { ProblemAlert } from "../../components/Problem";
import { useCursorList } from "../../components/useCursorList";
import { useRemote } from "../../components/useRemote";
import { hasRole, useUser } from "../../components/UserContext";
import { formatAmount, formatDate, formatDateTime, formatQty } from "../../format";
import { useLang, useT } from "../../i18n";
import { CUSTOMER_STATUSES, CUSTOMER_TYPES, DISTRIBUTOR_TIERS, name, ORDER_STATES, PERSON_KINDS, TERMINAL_KINDS, TRADES, VISIT_STATES } from "../../labels";
import { MANAGERS } from "../../modules";
import { AgreementTable } from "../rebates/Agreements";
import { m } from "./messages";

type Customer = Schemas["Customer"];

export default function CustomerPage() {
  const { id = "" } = useParams();
  const t = useT(m);
  const { lang } = useLang();
  const user = useUser();
  const navigate = useNavigate();
  const customer = useRemote(() => withEtag(api().GET("/customers/{customer_id}", { params: { path: { customer_id: id } } })), [id]);

  if (customer.loading && !customer.data) return <Spin />;
  if (customer.error instanceof ApiProblem && customer.error.status === 404)
    return <Result status="404" title={t("notFound")} extra={<Link to="/customers">{t("back")}</Link>} />;
  if (!customer.data) return <ProblemAlert error={customer.error} />;
  const { data: c, etag } = customer.data;
  const manager = hasRole(user, ...MANAGERS);

  return (
    <>
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 8 }}>
        <Space wrap>
          <Typography.Title level={3} style={{ margin: 0 }}>
            {c.name}
          </Typography.Title>
          <Tag>{name(CUSTOMER_TYPES, c.type, lang)}</Tag>
          <Tag color={c.status === "active" ? "green" : "blue"}>{name(CUSTOMER_STATUSES, c.status, lang)}</Tag>
          {c.level && <Tag color="gold">{c.level}</Tag>}
          {c.voided && <Tag color="red">{t("voided")}</Tag>}
        </Space>
        <Actions customer={c} etag={etag} manager={manager} onChanged={customer.reload} />
      </Flex>
      {c.voided && c.void_reason && <Alert type="warning" title={`${t("voidReason")}: ${c.void_reason}`} style={{ marginBottom: 12 }} />}
      {c.next_level_change && (
        <Alert type="info" title={t("nextLevel", { level: c.next_level_change.level, date: formatDate(c.next_level_change.effective_from) })} style={{ marginBottom: 12 }} />
      )}
      <Tabs
        destroyOnHidden
        items={[
          { key: "profile", label: t("tabProfile"), children: <Profile c={c} /> },
          { key: "contacts", label: t("tabContacts"), children: <Contacts c={c} /> },
          { key: "levels", label: t("tabLevels"), children: <Levels id={id} /> },
          { key: "aliases", label: t("tabAliases"), children: <Aliases c={c} /> },
          { key: "network", label: t("tabNetwork"), children: <Network c={c} /> },
          { key: "visits", label: t("tabVisits"), children: <Visits id={id} /> },
          { key: "orders", label: t("tabOrders"), children: <Orders id={id} /> },
          { key: "flow", label: t("tabFlow"), children: <Flow id={id} /> },
          { key: "sellout", label: t("tabSellout"), children: <SellOut id={id} /> },
          ...(c.type === "distributor" ? [{ key: "inventory", label: t("tabInventory"), children: <Inventory id={id} /> }] : []),
          ...(c.type === "distributor" || c.type === "terminal"
            ? [{ key: "agreements", label: t("tabAgreements"), children: <AgreementTable customerId={id} /> }]
            : []),
          { key: "history", label: t("tabHistory"), children: <History id={id} /> },
        ]}
        onChange={() => undefined}
      />
      <Button type="link" onClick={() => navigate("/customers")}>
        {t("back")}
      </Button>
    </>
  );
}

function Actions({ customer: c, etag, manager, onChanged }: { customer: Customer; etag: string; manager: boolean; onChanged: () => void }) {
  const t = useT(m);
  const navigate = useNavigate();
  const { message } = App.useApp();
  const [dialog, setDialog] = useState<"void" | "restore" | "level" | "activate">();
  const [error, setError] = useState<unknown>();
  const [form] = Form.useForm();
  const path = { customer_id: c.id };

  async function submit() {
    const values = await form.validateFields();
    setError(undefined);
    try {
      if (dialog === "void") {
        await ok(api().POST("/customers/{customer_id}/void", { params: { path, header: { "if-match": etag } }, body: { reason: values.reason } }));
        message.success(t("voidedDone"));
      } else if (dialog === "restore") {
        await ok(api().POST("/customers/{customer_id}/restore", { params: { path, header: { "if-match": etag } }, body: { reason: values.reason } }));
        message.success(t("restored"));
      } else if (dialog === "activate") {
        await ok(api().POST("/customers/{customer_id}/activation-requests", { params: { path }, body: { comment: values.comment || null } }));
        message.success(t("activationSent"));
      } else if (dialog === "level") {
        const body = { level: values.level, reason: values.reason, effective_from: (values.effective_from as Dayjs).format("YYYY-MM-DD") };
        if (manager) await ok(api().POST("/customers/{customer_id}/levels", { params: { path }, body }));
        else await ok(api().POST("/customers/{customer_id}/level-requests", { params: { path }, body }));
        message.success(t("levelSent"));
      }
      setDialog(undefined);
      form.resetFields();
      onChanged();
    } catch (err) {
      setError(err);
    }
  }

  const titles = { void: t("void"), restore: t("restore"), activate: t("requestActivation"), level: manager ? t("changeLevel") : t("requestLevel") };
  return (
    <Space wrap>
      {!c.voided && <Button type="primary" onClick={() => navigate(`/customers/${c.id}/edit`)}>{t("edit")}</Button>}
      {!c.voided && c.status !== "active" && <Button onClick={() => setDialog("activate")}>{t("requestActivation")}</Button>}
      {!c.voided && <Button onClick={() => setDialog("level")}>{titles.level}</Button>}
      {manager && !c.voided && <Button danger onClick={() => setDialog("void")}>{t("void")}</Button>}
      {manager && c.voided && <Button onClick={() => setDialog("restore")}>{t("restore")}</Button>}
      <Modal open={dialog !== undefined} title={dialog && titles[dialog]} onOk={() => void submit()} onCancel={() => setDialog(undefined)} destroyOnHidden>
        <ProblemAlert error={error} />
        <Form form={form} layout="vertical" initialValues={{ effective_from: dayjs() }}>
          {dialog === "level" && (
            <>
              <Form.Item name="level" label={t("level")} rules={[{ required: true }]}>
                <Select options={["A", "B", "C", "D"].map((v) => ({ value: v, label: v }))} />
              </Form.Item>
              <Form.Item name="effective_from" label={t("effectiveFrom")} rules={[{ required: true }]}>
                <DatePicker />
              </Form.Item>
            </>
          )}
          {dialog === "activate" ? (
            <Form.Item name="comment" label={t("comment")}>
              <Input.TextArea rows={2} />
            </Form.Item>
          ) : (
            <Form.Item name="reason" label={dialog === "void" ? t("voidReason") : t("reason")} rules={[{ required: true }]}>
              <Input.TextArea rows={2} />
            </Form.Item>
          )}
        </Form>
      </Modal>
    </Space>
  );
}

function Profile({ c }: { c: Customer }) {
  const t = useT(m);
  const { lang } = useLang();
  const p = c.profile as Record<string, unknown>;
  const profileItems: [string, unknown][] =
    c.type === "terminal"
      ? [[t("kind"), name(TERMINAL_KINDS, p.kind as string, lang)], [t("chainName"), p.chain_name], [t("hospitalGrade"), p.hospital_grade], [t("beds"), p.beds], [t("licenseNo"), p.license_no], [t("creditLimit"), p.credit_limit ? formatAmount(p.credit_limit as string) : null], [t("medicalInsurance"), p.medical_insurance === undefined || p.medical_insurance === null ? null : p.medical_insurance ? "✓" : "✗"]]
      : c.type === "distributor"
        ? [[t("tier"), name(DISTRIBUTOR_TIERS, p.tier as string, lang)], [t("licenseNo"), p.license_no], [t("creditLimit"), p.credit_limit ? formatAmount(p.credit_limit as string) : null], [t("annualSales"), p.annual_sales ? formatAmount(p.annual_sales as string) : null], [t("warehouseAddress"), p.warehouse_address], [t("territoryProvinces"), ((p.territory as { provinces?: string[] } | null)?.provinces ?? []).join("、")], [t("territoryCities"), ((p.territory as { cities?: string[] } | null)?.cities ?? []).join("、")]]
        : c.type === "person"
          ? [[t("kind"), name(PERSON_KINDS, p.kind as string, lang)], [t("employer"), p.employer_name], [t("position"), p.position], [t("department"), p.department]]
          : [[t("description"), p.description]];
  return (
    <Descriptions bordered size="small" column={{ xs: 1, sm: 1, md: 2, lg: 3 }}>
      <Descriptions.Item label={t("code")}>{c.code ?? "—"}</Descriptions.Item>
      <Descriptions.Item label={t("trade")}>{name(TRADES, c.trade, lang)}</Descriptions.Item>
      <Descriptions.Item label={t("phone")}>{c.phone ?? "—"}</Descriptions.Item>
      <Descriptions.Item label={t("province")}>{c.region?.province ?? "—"}</Descriptions.Item>
      <Descriptions.Item label={t("city")}>{c.region?.city ?? "—"}</Descriptions.Item>
      <Descriptions.Item label={t("county")}>{c.region?.county ?? "—"}</Descriptions.Item>
      <Descriptions.Item label={t("address")} span={2}>{c.address ?? "—"}</Descriptions.Item>
      <Descriptions.Item label={t("location")}>{c.location ? `${c.location.lat}, ${c.location.lng}` : "—"}</Descriptions.Item>
      {profileItems.map(([label, value]) => (
        <Descriptions.Item key={label} label={label}>
          {value === null || value === undefined || value === "" ? "—" : String(value)}
        </Descriptions.Item>
      ))}
      <Descriptions.Item label={t("remarks")} span={3}>{c.remarks ?? "—"}</Descriptions.Item>
      <Descriptions.Item label={t("createdAt")}>{formatDateTime(c.created_at)}</Descriptions.Item>
      <Descriptions.Item label={t("lastUpdate")}>{`${formatDateTime(c.updated_at)} · ${c.updated_by}`}</Descriptions.Item>
    </Descriptions>
  );
}

function Contacts({ c }: { c: Customer }) {
  const t = useT(m);
  return (
    <Table
      rowKey={(_, i) => String(i)}
      size="small"
      pagination={false}
      dataSource={c.contacts ?? []}
      locale={{ emptyText: t("empty") }}
      columns={[
        { title: t("contactName"), dataIndex: "name" },
        { title: t("contactRole"), dataIndex: "role", render: (v?: string | null) => v ?? "—" },
        { title: t("contactPhones"), dataIndex: "phones", render: (v?: string[]) => (v ?? []).join(", ") || "—" },
        { title: t("birthday"), dataIndex: "birthday", render: (v?: string | null) => formatDate(v) },
      ]}
    />
  );
}

function Levels({ id }: { id: string }) {
  const t = useT(m);
  const [on, setOn] = useState<Dayjs>(dayjs());
  const history = useCursorList((cursor) => ok(api().GET("/customers/{customer_id}/levels", { params: { path: { customer_id: id }, query: { cursor } } })), [id]);
  const onDate = useRemote(() => ok(api().GET("/customers/{customer_id}/level", { params: { path: { customer_id: id }, query: { on: on.format("YYYY-MM-DD") } } })), [id, on.valueOf()]);
  return (
    <>
      <Space style={{ marginBottom: 12 }} wrap>
        <Typography.Text>{t("levelOnDate")}</Typography.Text>
        <DatePicker value={on} onChange={(d) => d && setOn(d)} allowClear={false} aria-label={t("levelOnDate")} />
        {onDate.data && <Typography.Text strong>{t("levelOn", { date: formatDate(onDate.data.on), level: onDate.data.level ?? t("noLevel") })}</Typography.Text>}
      </Space>
      <ProblemAlert error={history.error ?? onDate.error} />
      <Table
        rowKey={(e) => `${e.effective_from}-${e.changed_at}`}
        size="small"
        pagination={false}
        loading={history.loading}
        dataSource={history.items}
        locale={{ emptyText: t("empty") }}
        columns={[
          { title: t("level"), dataIndex: "level", width: 80 },
          { title: t("effectiveFrom"), dataIndex: "effective_from", render: formatDate },
          { title: t("reason"), dataIndex: "reason" },
          { title: t("changedBy"), dataIndex: "changed_by" },
          { title: t("changedAt"), dataIndex: "changed_at", render: formatDateTime },
        ]}
      />
      <Pager {...history} />
    </>
  );
}

function Aliases({ c }: { c: Customer }) {
  const t = useT(m);
  return (c.aliases ?? []).length ? (
    <Space wrap>
      {(c.aliases ?? []).map((alias) => (
        <Tag key={alias}>{alias}</Tag>
      ))}
    </Space>
  ) : (
    <Typography.Text type="secondary">{t("empty")}</Typography.Text>
  );
}

function Network({ c }: { c: Customer }) {
  const t = useT(m);
  const { lang } = useLang();
  const upstream = useRemote(
    () => (c.upstream_id ? ok(api().GET("/customers/{customer_id}", { params: { path: { customer_id: c.upstream_id } } })) : Promise.resolve(undefined)),
    [c.upstream_id],
  );
  const downstream = useCursorList((cursor) => ok(api().GET("/customers/{customer_id}/downstream", { params: { path: { customer_id: c.id }, query: { cursor } } })), [c.id]);
  return (
    <>
      <Descriptions size="small" bordered column={1} style={{ marginBottom: 16 }}>
        <Descriptions.Item label={t("upstream")}>
          {upstream.data ? <Link to={`/customers/${upstream.data.id}`}>{upstream.data.name}</Link> : "—"}
        </Descriptions.Item>
      </Descriptions>
      <Typography.Title level={5}>{t("downstream")}</Typography.Title>
      <ProblemAlert error={downstream.error} />
      <Table
        rowKey="id"
        size="small"
        pagination={false}
        loading={downstream.loading}
        dataSource={downstream.items}
        locale={{ emptyText: t("empty") }}
        columns={[
          { title: t("name"), dataIndex: "name", render: (v: string, d) => <Link to={`/customers/${d.id}`}>{v}</Link> },
          { title: t("type"), dataIndex: "type", render: (v: string) => name(CUSTOMER_TYPES, v, lang) },
          { title: t("city"), render: (_, d) => d.region?.city ?? "—" },
        ]}
      />
      <Pager {...downstream} />
    </>
  );
}

function Visits({ id }: { id: string }) {
  const t = useT(m);
  const { lang } = useLang();
  const list = useCursorList((cursor) => ok(api().GET("/customers/{customer_id}/visits", { params: { path: { customer_id: id }, query: { cursor } } })), [id]);
  return (
    <>
      <ProblemAlert error={list.error} />
      <Table
        rowKey="id"
        size="small"
        pagination={false}
        loading={list.loading}
        dataSource={list.items}
        locale={{ emptyText: t("empty") }}
        columns={[
          { title: t("visitDay"), dataIndex: "day", render: formatDate },
          { title: t("visitState"), dataIndex: "state", render: (v: string) => name(VISIT_STATES, v, lang) },
          { title: t("rep"), dataIndex: "rep_id" },
          { title: t("remarks"), render: (_, v) => v.purpose ?? v.notes?.[0]?.text ?? "—" },
        ]}
      />
      <Pager {...list} />
    </>
  );
}

function Orders({ id }: { id: string }) {
  const t = useT(m);
  const { lang } = useLang();
  const list = useCursorList((cursor) => ok(api().GET("/orders", { params: { query: { customer_id: id, cursor } } })), [id]);
  return (
    <>
      <ProblemAlert error={list.error} />
      <Table
        rowKey="id"
        size="small"
        pagination={false}
        loading={list.loading}
        dataSource={list.items}
        locale={{ emptyText: t("empty") }}
        columns={[
          { title: t("orderDate"), dataIndex: "created_at", render: (v: string, o) => <Link to={`/orders/${o.id}`}>{formatDate(v)}</Link> },
          { title: t("orderState"), dataIndex: "state", render: (v: string) => name(ORDER_STATES, v, lang) },
          { title: t("orderTotal"), dataIndex: "total", align: "right", render: (v: string) => formatAmount(v) },
        ]}
      />
      <Pager {...list} />
    </>
  );
}

function Flow({ id }: { id: string }) {
  const t = useT(m);
  const [period, setPeriod] = useState(lastMonth());
  const flow = useRemote(() => ok(api().GET("/customers/{customer_id}/flow", { params: { path: { customer_id: id }, query: { period } } })), [id, period]);
  const rows = (flow.data?.items ?? []).flatMap((item) =>
    Object.entries(item.base_qty_by_sku).map(([sku, qty]) => ({ key: `${item.load_id}-${sku}`, distributor_id: item.distributor_id, sku, qty, rows: item.rows })),
  );
  return (
    <>
      <div style={{ marginBottom: 12 }}>
        <MonthPicker label={t("period")} value={period} onChange={setPeriod} />
      </div>
      <ProblemAlert error={flow.error} />
      <Table
        size="small"
        pagination={false}
        loading={flow.loading}
        dataSource={rows}
        locale={{ emptyText: t("empty") }}
        columns={[
          { title: t("distributor"), dataIndex: "distributor_id", render: (v: string) => <Link to={`/customers/${v}`}>{v}</Link> },
          { title: t("product"), dataIndex: "sku" },
          { title: t("quantity"), dataIndex: "qty", align: "right", render: (v: number) => formatQty(v) },
        ]}
      />
    </>
  );
}

function SellOut({ id }: { id: string }) {
  const t = useT(m);
  const [to, setTo] = useState(lastMonth());
  const from = dayjs(`${to}-01`).subtract(5, "month").format("YYYY-MM");
  const sellout = useRemote(() => ok(api().GET("/customers/{customer_id}/sellout", { params: { path: { customer_id: id }, query: { from, to } } })), [id, to]);
  return (
    <>
      <div style={{ marginBottom: 12 }}>
        <MonthPicker label={t("period")} value={to} onChange={setTo} />
      </div>
      <ProblemAlert error={sellout.error} />
      <Table
        rowKey={(r) => `${r.period}-${r.sku}`}
        size="small"
        pagination={false}
        loading={sellout.loading}
        dataSource={sellout.data?.items ?? []}
        locale={{ emptyText: t("empty") }}
        columns={[
          { title: t("period"), dataIndex: "period" },
          { title: t("product"), render: (_, r) => r.product_name ?? r.sku },
          { title: t("quantity"), align: "right", render: (_, r) => `${formatQty(r.base_quantity)} ${r.base_unit}` },
          { title: t("reportedBy"), dataIndex: "reported_by", render: (v: string[]) => v.length },
        ]}
      />
    </>
  );
}

function Inventory({ id }: { id: string }) {
  const t = useT(m);
  const [period, setPeriod] = useState(lastMonth());
  const list = useCursorList((cursor) => ok(api().GET("/customers/{customer_id}/inventory", { params: { path: { customer_id: id }, query: { period, cursor } } })), [id, period]);
  return (
    <>
      <div style={{ marginBottom: 12 }}>
        <MonthPicker label={t("period")} value={period} onChange={setPeriod} />
      </div>
      <ProblemAlert error={list.error} />
      <Table
        rowKey="sku"
        size="small"
        pagination={false}
        loading={list.loading}
        dataSource={list.items}
        scroll={{ x: 720 }}
        locale={{ emptyText: t("empty") }}
        columns={[
          { title: t("product"), dataIndex: "sku" },
          { title: t("opening"), dataIndex: "opening", align: "right", render: formatQty },
          { title: t("inbound"), dataIndex: "inbound", align: "right", render: formatQty },
          { title: t("outbound"), dataIndex: "outbound", align: "right", render: formatQty },
          { title: t("expectedClosing"), dataIndex: "expected_closing", align: "right", render: formatQty },
          { title: t("reportedClosing"), dataIndex: "reported_closing", align: "right", render: formatQty },
          { title: t("variance"), dataIndex: "variance", align: "right", render: (v: number | null) => (v ? <Typography.Text type="danger">{formatQty(v)}</Typography.Text> : formatQty(v)) },
        ]}
      />
      <Pager {...list} />
    </>
  );
}

function History({ id }: { id: string }) {
  const t = useT(m);
  const list = useCursorList((cursor) => ok(api().GET("/customers/{customer_id}/history", { params: { path: { customer_id: id }, query: { cursor } } })), [id]);
  return (
    <>
      <ProblemAlert error={list.error} />
      <Table
        rowKey="id"
        size="small"
        pagination={false}
        loading={list.loading}
        dataSource={list.items}
        locale={{ emptyText: t("empty") }}
        columns={[
          { title: t("changedAt"), dataIndex: "at", width: 160, render: formatDateTime },
          { title: t("action"), dataIndex: "action", width: 140 },
          { title: t("changedBy"), dataIndex: "actor_id", width: 200 },
          { title: t("changes"), render: (_, e) => <ChangeList changes={e.changes as Record<string, unknown>} reason={e.reason} /> },
        ]}
      />
      <Pager {...list} />
    </>
  );
}

function ChangeList({ changes, reason }: { changes: Record<string, unknown>; reason?: string | null }) {
  const entries = Object.entries(changes ?? {});
  return (
    <Typography.Text style={{ fontSize: 12 }}>
      {reason ? `${reason} · ` : ""}
      {entries.map(([field, value]) => `${field}: ${JSON.stringify(value)}`).join("; ") || "—"}
    </Typography.Text>
  );
}


