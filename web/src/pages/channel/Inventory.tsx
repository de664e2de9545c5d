import { DownloadOutlined, PlusOutlined, SettingOutlined } from "@ant-design/icons";
import { App, Button, Flex, Form, Input, InputNumber, Modal, Popconfirm, Select, Space, Switch, Table, Tabs, Tag, Typography } from "antd";
import type { ColumnsType } from "antd/es/table";
import { useState } from "react";
import { api, ok, withEtag, type Schemas } from "../../api/client";
import { Pager } from "../../components/Pager";
import { ProblemAlert, showFieldErrors } from "../../components/Problem";
import { useCursorList } from "../../components/useCursorList";
import { useDistributorNames } from "../../components/useDistributors";
import { useRemote } from "../../components/useRemote";
import { hasRole, useUser } from "../../components/UserContext";
import { OFFICE } from "../../modules";
import { formatDateTime } from "../../format";
import { useLang, useT } from "../../i18n";
import { name } from "../../labels";
import { DistributorSelect, lastMonth, MonthPicker, useUrlFilters } from "../../components/filters";
import { num, pct, useProductNames } from "./common";
import { ADJUSTMENT_STATUSES, CARRIED, FLAG_COLORS, FLAGS, m, OPENING_SOURCES } from "./messages";

type Line = Schemas["InventoryLine"];
type BatchLine = Schemas["InventoryBatchLine"];
type Meta = { source: string; threshold: number };

export default function Inventory() {
  const t = useT(m);
  const filters = useUrlFilters();
  const period = filters.get("period") ?? lastMonth();
  const distributorId = filters.get("distributor_id");
  const names = useDistributorNames();
  const products = useProductNames();
  const [closings, setClosings] = useState(0); // a close or reopen changes the figures' source: read them again
  const user = useUser();
  const own = user.distributorId; // a distributor's users see only their own: nothing to choose

  return (
    <>
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 16 }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t("inventory")}
        </Typography.Title>
        <Space wrap>
          {hasRole(user, "hq_admin", "finance") && <PolicyButton />}
          <ExportLinkButton period={period} distributorId={distributorId} />
        </Space>
      </Flex>
      <Space wrap style={{ marginBottom: 16 }}>
        <MonthPicker label={t("month")} value={period} onChange={(v) => filters.set("period", v)} />
        {!own && <DistributorSelect names={names} label={t("distributor")} value={distributorId} onChange={(v) => filters.set("distributor_id", v)} />}
      </Space>
      <PeriodBar period={period} onChanged={() => setClosings((n) => n + 1)} />
      <Tabs
        key={closings}
        destroyOnHidden
        activeKey={filters.get("tab") ?? "stock"}
        onChange={(tab) => filters.set("tab", tab === "stock" ? undefined : tab)}
        items={[
          { key: "stock", label: t("tabStock"), children: <StockGrid period={period} distributorId={distributorId} names={names} products={products} /> },
          { key: "adjustments", label: t("tabAdjustments"), children: <Adjustments period={period} distributorId={distributorId} names={names} products={products} /> },
          { key: "openings", label: t("tabOpenings"), children: <Openings period={period} distributorId={distributorId} names={names} products={products} /> },
        ]}
      />
    </>
  );
}

/** The tenant's channel policy (GET/PUT /inventory/policy, If-Match): variance threshold, what closing carries,
 * and how long distributors' files are kept locked as evidence. HQ admins and finance set it. */
function PolicyButton() {
  const t = useT(m);
  const { lang } = useLang();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<unknown>();
  const [form] = Form.useForm();
  const policy = useRemote(() => (open ? withEtag(api().GET("/inventory/policy")) : Promise.resolve(undefined)), [open]);

  async function save() {
    const values = await form.validateFields();
    setError(undefined);
    try {
      const etag = policy.data?.etag ?? '"0"';
      await ok(api().PUT("/inventory/policy", { params: { header: { "if-match": etag } }, body: values }));
      message.success(t("policySaved"));
      setOpen(false);
    } catch (err) {
      if (!showFieldErrors(form, err)) setError(err);
      policy.reload(); // a 412: someone saved meanwhile; show theirs
    }
  }

  return (
    <>
      <Button icon={<SettingOutlined />} onClick={() => setOpen(true)}>
        {t("policy")}
      </Button>
      <Modal open={open} title={t("policy")} onOk={() => void save()} onCancel={() => setOpen(false)} destroyOnHidden>
        <ProblemAlert error={policy.error ?? error} />
        {policy.data && (
          <Form form={form} layout="vertical" initialValues={policy.data.data} key={policy.data.etag}>
            <Form.Item name="variance_threshold_pct" label={t("policyThreshold")} rules={[{ required: true }]}>
              <InputNumber min={0} max={1000} suffix="%" />
            </Form.Item>
            <Form.Item name="carry_forward" label={t("policyCarry")} rules={[{ required: true }]}>
              <Select options={Object.keys(CARRIED).map((v) => ({ value: v, label: name(CARRIED, v, lang) }))} />
            </Form.Item>
            <Form.Item name="raw_files_kept_years" label={t("policyKeptYears")} extra={t("policyKeptHelp")} rules={[{ required: true }]}>
              <InputNumber min={1} max={30} precision={0} suffix={t("years")} />
            </Form.Item>
          </Form>
        )}
      </Modal>
    </>
  );
}

/** GET /inventory/export answers a link to the month's XLSX (ExportLink), which the browser then downloads. */
function ExportLinkButton({ period, distributorId }: { period: string; distributorId?: string }) {
  const t = useT(m);
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  async function run() {
    setBusy(true);
    try {
      const link = await ok(api().GET("/inventory/export", { params: { query: { period, distributor_id: distributorId } } }));
      message.success(t("exportReady", { lines: link.lines }));
      window.location.assign(link.url);
    } catch (err) {
      message.error(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Button icon={<DownloadOutlined />} loading={busy} onClick={() => void run()}>
      {t("export")}
    </Button>
  );
}

function PeriodBar({ period, onChanged }: { period: string; onChanged: () => void }) {
  const t = useT(m);
  const { lang } = useLang();
  const user = useUser();
  const { message } = App.useApp();
  const state = useRemote(() => ok(api().GET("/inventory/periods/{period}", { params: { path: { period } } })), [period]);
  const [error, setError] = useState<unknown>();
  const [reopening, setReopening] = useState(false);
  const [form] = Form.useForm();
  const s = state.data;

  async function close() {
    setError(undefined);
    try {
      state.setData(await ok(api().POST("/inventory/periods/{period}/close", { params: { path: { period } } })));
      message.success(t("closedDone", { period }));
      onChanged();
    } catch (err) {
      setError(err);
    }
  }
  async function reopen() {
    const { reason } = await form.validateFields();
    setError(undefined);
    try {
      state.setData(await ok(api().POST("/inventory/periods/{period}/reopen", { params: { path: { period } }, body: { reason } })));
      message.success(t("reopened", { period }));
      onChanged();
      setReopening(false);
      form.resetFields();
    } catch (err) {
      if (!showFieldErrors(form, err)) setError(err);
    }
  }

  return (
    <>
      <ProblemAlert error={state.error ?? error} onClose={error ? () => setError(undefined) : undefined} />
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 8 }}>
        <Space wrap>
          <Typography.Text strong>{t("periodState")}</Typography.Text>
          {s && (
            <Tag color={s.status === "closed" ? "default" : "green"} data-testid="period-status">
              {s.status === "closed" ? t("closed") : t("open")}
            </Tag>
          )}
          {s?.closed_at && (
            <Typography.Text type="secondary">
              {t("closedAt")} {formatDateTime(s.closed_at)} · {s.closed_by} · {t("carried")} {name(CARRIED, s.carried, lang)}
            </Typography.Text>
          )}
        </Space>
        <Space wrap>
          {s?.status === "open" && hasRole(user, "hq_admin", "finance") && (
            <Popconfirm title={t("closeConfirm", { period })} onConfirm={close}>
              <Button>{t("close")}</Button>
            </Popconfirm>
          )}
          {s?.status === "closed" && hasRole(user, "hq_admin") && <Button onClick={() => setReopening(true)}>{t("reopen")}</Button>}
        </Space>
      </Flex>
      <Modal open={reopening} title={`${t("reopen")} ${period}`} onOk={() => void reopen()} onCancel={() => setReopening(false)} destroyOnHidden>
        <Form form={form} layout="vertical">
          <Form.Item name="reason" label={t("reopenReason")} rules={[{ required: true, whitespace: true }]}>
            <Input.TextArea rows={3} maxLength={500} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

function figureColumns(t: (k: keyof (typeof m)["zh"]) => string, lang: "zh" | "en"): ColumnsType<Line | BatchLine> {
  const right = { align: "right" as const, width: 74 };
  return [
    { title: t("opening"), dataIndex: "opening", ...right, render: num },
    { title: t("inbound"), dataIndex: "inbound", ...right, render: num },
    { title: t("outbound"), dataIndex: "outbound", ...right, render: num },
    { title: t("adjustments"), dataIndex: "adjustments", ...right, render: num },
    { title: t("expected"), dataIndex: "expected_closing", ...right, render: num },
    { title: t("reported"), dataIndex: "reported_closing", ...right, render: num },
    {
      title: t("variance"),
      dataIndex: "variance",
      ...right,
      render: (v: number | null) => <Typography.Text type={v ? "danger" : undefined}>{num(v)}</Typography.Text>,
    },
    { title: t("variancePct"), dataIndex: "variance_pct", ...right, render: pct },
    {
      title: t("flags"),
      dataIndex: "flags",
      width: 170,
      render: (flags: string[]) => (
        <Space size={[0, 4]} wrap>
          {flags.map((f) => (
            <Tag key={f} color={FLAG_COLORS[f]}>
              {name(FLAGS, f, lang)}
            </Tag>
          ))}
        </Space>
      ),
    },
  ];
}

function StockGrid(props: { period: string; distributorId?: string; names: Record<string, string>; products: Record<string, string> }) {
  const t = useT(m);
  const { lang } = useLang();
  const filters = useUrlFilters();
  const variancesOnly = filters.get("variances") === "1";
  const [meta, setMeta] = useState<Meta>();
  const query = { period: props.period, distributor_id: props.distributorId, limit: 50 };
  const list = useCursorList<Line>(async (cursor) => {
    const report = variancesOnly
      ? await ok(api().GET("/inventory/variances", { params: { query: { ...query, cursor } } }))
      : await ok(api().GET("/inventory", { params: { query: { ...query, cursor } } }));
    setMeta({ source: report.source, threshold: report.variance_threshold_pct });
    return report;
  }, [props.period, props.distributorId, variancesOnly]);
  const figures = figureColumns(t, lang);
  const hasBatches = list.items.some((l) => (l.batches ?? []).length > 0); // else no empty expand column

  return (
    <>
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 12 }}>
        <Space>
          <Switch checked={variancesOnly} onChange={(on) => filters.set("variances", on ? "1" : undefined)} aria-label={t("variancesOnly")} />
          <Typography.Text>{t("variancesOnly")}</Typography.Text>
        </Space>
        {meta && (
          <Space>
            <Tag color={meta.source === "frozen" ? "blue" : "default"}>{meta.source === "frozen" ? t("frozen") : t("computed")}</Tag>
            <Typography.Text type="secondary">{t("threshold", { pct: meta.threshold })}</Typography.Text>
          </Space>
        )}
      </Flex>
      <ProblemAlert error={list.error} />
      <Table<Line>
        rowKey={(l) => `${l.distributor_id}-${l.sku}`}
        size="small"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        scroll={{ x: 1080 }}
        locale={{ emptyText: t("empty") }}
        expandable={hasBatches ? { rowExpandable: (l) => (l.batches ?? []).length > 0, expandedRowRender: (l) => <Batches line={l} figures={figures} /> } : undefined}
        columns={[
          {
            title: `${t("distributor")} / ${t("sku")}`,
            width: 210,
            fixed: "left",
            render: (_, l) => (
              <Space orientation="vertical" size={0}>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {props.names[l.distributor_id] ?? l.distributor_id}
                </Typography.Text>
                <span>
                  {props.products[l.sku] ?? l.sku} <Typography.Text type="secondary" style={{ fontSize: 12 }}>{l.sku}</Typography.Text>
                </span>
              </Space>
            ),
          },
          ...(figures as ColumnsType<Line>),
        ]}
      />
      <Pager pageNumber={list.pageNumber} hasNext={list.hasNext} next={list.next} previous={list.previous} />
    </>
  );
}

function Batches({ line, figures }: { line: Line; figures: ColumnsType<Line | BatchLine> }) {
  const t = useT(m);
  return (
    <Table<BatchLine>
      rowKey="batch"
      size="small"
      pagination={false}
      dataSource={line.batches ?? []}
      columns={[{ title: t("batch"), dataIndex: "batch", width: 140 }, ...(figures as ColumnsType<BatchLine>)]}
    />
  );
}

function ProductSelect({ products, ...rest }: { products: Record<string, string>; value?: string; onChange?: (v: string) => void; id?: string }) {
  return (
    <Select
      {...rest}
      showSearch={{ optionFilterProp: "label" }}
      options={Object.entries(products).map(([sku, label]) => ({ value: sku, label: `${label}（${sku}）` }))}
    />
  );
}

function Adjustments(props: { period: string; distributorId?: string; names: Record<string, string>; products: Record<string, string> }) {
  const t = useT(m);
  const { lang } = useLang();
  const { message } = App.useApp();
  const list = useRemote(
    () => ok(api().GET("/inventory/adjustments", { params: { query: { period: props.period, distributor_id: props.distributorId } } })),
    [props.period, props.distributorId],
  );
  const mayAsk = hasRole(useUser(), ...OFFICE); // inventory:adjust: a distributor's users read them only
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<unknown>();
  const [form] = Form.useForm();

  async function submit() {
    const values = await form.validateFields();
    setError(undefined);
    try {
      await ok(
        api().POST("/inventory/adjustments", {
          body: { period: props.period, distributor_id: values.distributor_id, sku: values.sku, batch: values.batch?.trim() || null, quantity: values.quantity, reason: values.reason },
        }),
      );
      message.success(t("adjustmentSent"));
      setOpen(false);
      form.resetFields();
      list.reload();
    } catch (err) {
      if (!showFieldErrors(form, err)) setError(err);
    }
  }

  return (
    <>
      {mayAsk && (
        <Flex justify="flex-end" style={{ marginBottom: 12 }}>
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)}>
            {t("newAdjustment")}
          </Button>
        </Flex>
      )}
      <ProblemAlert error={list.error} />
      <Table
        rowKey="id"
        size="small"
        loading={list.loading}
        dataSource={list.data?.items ?? []}
        pagination={false}
        scroll={{ x: 1000 }}
        locale={{ emptyText: t("empty") }}
        columns={[
          { title: t("distributor"), dataIndex: "distributor_id", render: (id: string) => props.names[id] ?? id },
          { title: t("sku"), dataIndex: "sku", render: (sku: string) => props.products[sku] ?? sku },
          { title: t("batch"), dataIndex: "batch", width: 110, render: (v?: string | null) => v ?? "—" },
          { title: t("quantity"), dataIndex: "quantity", width: 110, align: "right", render: num },
          { title: t("reason"), dataIndex: "reason" },
          {
            title: t("status"),
            dataIndex: "status",
            width: 90,
            render: (v: string) => <Tag color={v === "approved" ? "green" : v === "pending" ? "processing" : "default"}>{name(ADJUSTMENT_STATUSES, v, lang)}</Tag>,
          },
          { title: t("requestedBy"), dataIndex: "requested_by", width: 120 },
          { title: t("requestedAt"), dataIndex: "requested_at", width: 140, render: formatDateTime },
        ]}
      />
      <Modal open={open} title={`${t("newAdjustment")} · ${props.period}`} onOk={() => void submit()} onCancel={() => setOpen(false)} destroyOnHidden>
        <ProblemAlert error={error} />
        <Form form={form} layout="vertical" initialValues={{ distributor_id: props.distributorId }}>
          <Form.Item name="distributor_id" label={t("distributor")} rules={[{ required: true }]}>
            <Select showSearch={{ optionFilterProp: "label" }} options={Object.entries(props.names).map(([value, label]) => ({ value, label }))} />
          </Form.Item>
          <Form.Item name="sku" label={t("sku")} rules={[{ required: true }]}>
            <ProductSelect products={props.products} />
          </Form.Item>
          <Form.Item name="batch" label={t("batch")}>
            <Input maxLength={64} />
          </Form.Item>
          <Form.Item name="quantity" label={t("quantity")} rules={[{ required: true }, { validator: (_, v) => (v === 0 ? Promise.reject(new Error("≠ 0")) : Promise.resolve()) }]}>
            <InputNumber style={{ width: "100%" }} />
          </Form.Item>
          <Form.Item name="reason" label={t("reason")} rules={[{ required: true, whitespace: true }]}>
            <Input.TextArea rows={2} maxLength={500} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

function Openings(props: { period: string; distributorId?: string; names: Record<string, string>; products: Record<string, string> }) {
  const t = useT(m);
  const { lang } = useLang();
  const user = useUser();
  const { message } = App.useApp();
  const list = useRemote(
    () => ok(api().GET("/inventory/openings", { params: { query: { period: props.period, distributor_id: props.distributorId } } })),
    [props.period, props.distributorId],
  );
  const [editing, setEditing] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [form] = Form.useForm();
  const mayEdit = hasRole(user, "hq_admin", "finance");

  function edit(distributorId: string | undefined) {
    setEditing(distributorId ?? "");
    const lines = (list.data?.items ?? []).filter((l) => l.distributor_id === distributorId).map(({ sku, batch, quantity }) => ({ sku, batch, quantity }));
    form.setFieldsValue({ distributor_id: distributorId, lines: lines.length ? lines : [{}] });
  }
  async function save() {
    const values = await form.validateFields();
    setError(undefined);
    try {
      await ok(
        api().PUT("/inventory/openings/{period}/{distributor_id}", {
          params: { path: { period: props.period, distributor_id: values.distributor_id } },
          body: { lines: (values.lines ?? []).map((l: { sku: string; batch?: string; quantity: number }) => ({ sku: l.sku, batch: l.batch?.trim() || null, quantity: l.quantity })) },
        }),
      );
      message.success(t("openingSaved"));
      setEditing(undefined);
      list.reload();
    } catch (err) {
      if (!showFieldErrors(form, err)) setError(err);
    }
  }

  return (
    <>
      {mayEdit && (
        <Flex justify="flex-end" style={{ marginBottom: 12 }}>
          <Button onClick={() => edit(props.distributorId)}>{t("editOpening")}</Button>
        </Flex>
      )}
      <ProblemAlert error={list.error} />
      <Table
        rowKey={(l) => `${l.distributor_id}-${l.sku}-${l.batch ?? ""}`}
        size="small"
        loading={list.loading}
        dataSource={list.data?.items ?? []}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        scroll={{ x: 800 }}
        locale={{ emptyText: t("empty") }}
        columns={[
          { title: t("distributor"), dataIndex: "distributor_id", render: (id: string) => props.names[id] ?? id },
          { title: t("sku"), dataIndex: "sku", render: (sku: string) => `${props.products[sku] ?? ""}（${sku}）` },
          { title: t("batch"), dataIndex: "batch", width: 120, render: (v?: string | null) => v ?? "—" },
          { title: t("quantity"), dataIndex: "quantity", width: 120, align: "right", render: num },
          { title: t("source"), dataIndex: "source", width: 110, render: (v: string) => <Tag>{name(OPENING_SOURCES, v, lang)}</Tag> },
          ...(mayEdit
            ? [{ title: "", width: 90, render: (_: unknown, l: Schemas["OpeningLine"]) => <Button size="small" onClick={() => edit(l.distributor_id)}>{t("editOpening")}</Button> }]
            : []),
        ]}
      />
      <Modal open={editing !== undefined} width={720} title={`${t("editOpening")} · ${props.period}`} onOk={() => void save()} onCancel={() => setEditing(undefined)} destroyOnHidden>
        <ProblemAlert error={error} />
        <Form form={form} layout="vertical">
          <Form.Item name="distributor_id" label={t("distributor")} rules={[{ required: true }]}>
            <Select
              showSearch={{ optionFilterProp: "label" }}
              options={Object.entries(props.names).map(([value, label]) => ({ value, label }))}
              onChange={(v: string) => edit(v)}
            />
          </Form.Item>
          <Form.List name="lines">
            {(fields, { add, remove }) => (
              <>
                {fields.map((field) => (
                  <Space key={field.key} align="start" wrap>
                    <Form.Item name={[field.name, "sku"]} label={t("sku")} rules={[{ required: true }]} style={{ width: 280 }}>
                      <ProductSelect products={props.products} />
                    </Form.Item>
                    <Form.Item name={[field.name, "batch"]} label={t("batch")} style={{ width: 140 }}>
                      <Input maxLength={64} />
                    </Form.Item>
                    <Form.Item name={[field.name, "quantity"]} label={t("quantity")} rules={[{ required: true }]} style={{ width: 140 }}>
                      <InputNumber min={0} style={{ width: "100%" }} />
                    </Form.Item>
                    <Button style={{ marginTop: 30 }} onClick={() => remove(field.name)}>
                      {t("remove")}
                    </Button>
                  </Space>
                ))}
                <Button type="dashed" onClick={() => add({})} icon={<PlusOutlined />}>
                  {t("addLine")}
                </Button>
              </>
            )}
          </Form.List>
        </Form>
      </Modal>
    </>
  );
}
