import { BarChartOutlined, DeleteOutlined, DownloadOutlined, PlusOutlined, UploadOutlined } from "@ant-design/icons";
import { Alert, App, Button, Card, DatePicker, Empty, Flex, InputNumber, Space, Spin, Table, Tag, Typography } from "antd";
import dayjs from "dayjs";
import { useEffect, useState } from "react";
import { useNavigate, useSearchParams } from "react-router-dom";
import { api, ApiProblem, download, ok, withEtag, type Schemas } from "../../api/client";
import { CustomerSelect } from "../../components/CustomerSelect";
import { OrgUnitSelect } from "../../components/OrgUnitSelect";
import { ProblemAlert } from "../../components/Problem";
import { useRemote } from "../../components/useRemote";
import { hasRole, useUser } from "../../components/UserContext";
import { formatDateTime, formatQty, thisMonth } from "../../format";
import { useT } from "../../i18n";
import { MANAGERS } from "../../modules";
import { ProductSelect } from "../orders/ProductSelect";
import { m } from "./messages";
import { useCustomerNames, useProducts } from "./names";
import { ImportDialog } from "./upload";

type Plan = Schemas["Plan"];
interface Line {
  key: number;
  sku?: string;
  customer_id?: string | null;
  quantity: number | null;
}

let nextKey = 1;
const toLines = (plan: Plan): Line[] => plan.lines.map((l) => ({ key: nextKey++, sku: l.sku, customer_id: l.customer_id ?? null, quantity: l.quantity }));

export default function Plans() {
  const t = useT(m);
  const user = useUser();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const month = params.get("month") ?? thisMonth();
  const unit = params.get("unit") ?? user.orgUnitId;
  const manager = hasRole(user, ...MANAGERS);
  const [importing, setImporting] = useState(false);
  const [downloadError, setDownloadError] = useState<unknown>();
  const set = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const plan = useRemote(() => withEtag(api().GET("/plans/{org_unit_id}/{month}", { params: { path: { org_unit_id: unit, month } } })), [unit, month]);
  const list = useRemote(() => ok(api().GET("/plans", { params: { query: { month } } })), [month]);

  return (
    <>
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 16 }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t("plans")}
        </Typography.Title>
        <Space wrap>
          <Button icon={<DownloadOutlined />} onClick={() => download("/plans/template.xlsx", "订货计划模板.xlsx").catch(setDownloadError)}>
            {t("template")}
          </Button>
          {manager && (
            <Button icon={<UploadOutlined />} onClick={() => setImporting(true)}>
              {t("import")}
            </Button>
          )}
          <Button icon={<BarChartOutlined />} onClick={() => navigate(`/plans/report?month=${month}&unit=${unit}`)}>
            {t("report")}
          </Button>
        </Space>
      </Flex>
      <ProblemAlert error={downloadError} onClose={() => setDownloadError(undefined)} />
      <Space wrap style={{ marginBottom: 16 }}>
        <DatePicker
          picker="month"
          aria-label={t("month")}
          allowClear={false}
          value={dayjs(`${month}-01`)}
          onChange={(d) => d && set("month", d.format("YYYY-MM"))}
        />
        <OrgUnitSelect placeholder={t("chooseUnit")} value={unit} onChange={(v) => set("unit", v)} style={{ width: 260 }} />
      </Space>
      {!manager && <Alert type="info" showIcon title={t("readOnly")} style={{ marginBottom: 16 }} />}
      <ProblemAlert error={plan.error} />
      {plan.loading && !plan.data ? (
        <Spin />
      ) : (
        plan.data && <PlanGrid key={`${unit}/${month}/${plan.data.etag}`} plan={plan.data.data} etag={plan.data.etag} editable={manager} onSaved={(p) => { plan.setData(p); list.reload(); }} />
      )}
      <Card title={t("monthPlans")} size="small" style={{ marginTop: 16 }}>
        <ProblemAlert error={list.error} />
        <Table<Schemas["PlanSummary"]>
          rowKey="org_unit_id"
          size="small"
          loading={list.loading}
          dataSource={list.data?.items ?? []}
          pagination={false}
          scroll={{ x: 640 }}
          locale={{ emptyText: t("empty") }}
          columns={[
            {
              title: t("unit"),
              dataIndex: "org_unit_name",
              render: (v: string, p) => (
                <Button type="link" size="small" style={{ padding: 0 }} onClick={() => set("unit", p.org_unit_id)}>
                  {v}
                </Button>
              ),
            },
            { title: t("lines"), dataIndex: "line_count", width: 80, align: "right" },
            { title: t("total"), dataIndex: "total_quantity", width: 120, align: "right", render: formatQty },
            { title: t("lastUpdate"), width: 260, render: (_, p) => (p.updated_at ? `${formatDateTime(p.updated_at)} · ${p.updated_by ?? ""}` : "—") },
          ]}
        />
      </Card>
      <ImportDialog<Schemas["PlanImport"]>
        open={importing}
        title={t("importTitle")}
        hint={t("importHint", { unit: plan.data?.data.org_unit_name ?? unit, month })}
        start={(fileName) => ok(api().POST("/plan-imports", { body: { org_unit_id: unit, month, file_name: fileName } }))}
        poll={(id) => ok(api().GET("/plan-imports/{import_id}", { params: { path: { import_id: id } } }))}
        summary={(r) => (r.status === "completed" ? t("importDone", { rows: r.rows ?? 0 }) : t("importRejected", { rejected: r.rejected ?? 0 }))}
        onFinished={() => {
          plan.reload();
          list.reload();
        }}
        onClose={() => setImporting(false)}
      />
    </>
  );
}

function PlanGrid({ plan, etag, editable, onSaved }: { plan: Plan; etag: string; editable: boolean; onSaved: (saved: { data: Plan; etag: string }) => void }) {
  const t = useT(m);
  const { message } = App.useApp();
  const products = useProducts();
  const [lines, setLines] = useState<Line[]>(() => toLines(plan));
  const [base, setBase] = useState({ plan, etag });
  const [dirty, setDirty] = useState(false);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>();
  const [fresh, setFresh] = useState<{ data: Plan; etag: string }>();
  const names = useCustomerNames([...lines.map((l) => l.customer_id), ...(fresh?.data.lines ?? []).map((l) => l.customer_id)]);
  useEffect(() => setBase({ plan, etag }), [plan, etag]);

  const change = (key: number, patch: Partial<Line>) => {
    setLines((current) => current.map((l) => (l.key === key ? { ...l, ...patch } : l)));
    setDirty(true);
  };
  const total = lines.reduce((sum, l) => sum + (l.quantity ?? 0), 0);
  const productLabel = (sku: string) => (products[sku] ? `${products[sku].name} ${products[sku].spec}（${sku}）` : sku);

  async function save(ifMatch = base.etag) {
    setError(undefined);
    const incomplete = lines.some((l) => !l.sku || l.quantity === null);
    if (incomplete) {
      setError(new Error(`${t("product")} / ${t("quantity")}`));
      return;
    }
    setSaving(true);
    try {
      const body = { lines: lines.map((l) => ({ sku: l.sku as string, customer_id: l.customer_id || null, quantity: l.quantity as number })) };
      const saved = await withEtag(
        api().PUT("/plans/{org_unit_id}/{month}", { params: { path: { org_unit_id: plan.org_unit_id, month: plan.month }, header: { "if-match": ifMatch } }, body }),
      );
      message.success(t("saved"));
      setFresh(undefined);
      setDirty(false);
      setLines(toLines(saved.data));
      onSaved(saved);
    } catch (err) {
      if (err instanceof ApiProblem && err.status === 412) {
        setFresh(await withEtag(api().GET("/plans/{org_unit_id}/{month}", { params: { path: { org_unit_id: plan.org_unit_id, month: plan.month } } })));
      } else setError(err);
    } finally {
      setSaving(false);
    }
  }

  return (
    <Card
      size="small"
      title={t("unitPlan", { unit: plan.org_unit_name, month: plan.month })}
      extra={
        <Space>
          {dirty && <Tag color="orange">{t("dirty")}</Tag>}
          <Typography.Text type="secondary">
            {t("lastUpdate")}: {base.plan.updated_at ? `${formatDateTime(base.plan.updated_at)} · ${base.plan.updated_by ?? ""}` : t("never")}
          </Typography.Text>
        </Space>
      }
    >
      {fresh && (
        <Alert
          type="warning"
          showIcon
          role="alert"
          data-testid="conflict"
          title={t("conflictTitle")}
          style={{ marginBottom: 12 }}
          description={
            <>
              <p>{t("conflictBody", { who: fresh.data.updated_by ?? "", at: formatDateTime(fresh.data.updated_at) })}</p>
              <Table
                size="small"
                rowKey={(_, i) => String(i)}
                pagination={false}
                dataSource={fresh.data.lines}
                columns={[
                  { title: t("product"), dataIndex: "sku", render: productLabel },
                  { title: t("customer"), dataIndex: "customer_id", render: (v?: string | null) => (v ? (names[v] ?? v) : t("noCustomer")) },
                  { title: t("quantity"), dataIndex: "quantity", align: "right", render: formatQty },
                ]}
              />
              <Space style={{ marginTop: 8 }} wrap>
                <Button
                  onClick={() => {
                    setLines(toLines(fresh.data));
                    setBase({ plan: fresh.data, etag: fresh.etag });
                    setFresh(undefined);
                    setDirty(false);
                  }}
                >
                  {t("useFresh")}
                </Button>
                <Button danger onClick={() => { setBase({ plan: fresh.data, etag: fresh.etag }); void save(fresh.etag); }}>
                  {t("keepMine")}
                </Button>
              </Space>
            </>
          }
        />
      )}
      <ProblemAlert error={error} onClose={() => setError(undefined)} />
      <Table<Line>
        rowKey="key"
        size="small"
        dataSource={lines}
        pagination={false}
        scroll={{ x: 820 }}
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("never")} /> }}
        summary={() => (
          <Table.Summary.Row>
            <Table.Summary.Cell index={0} colSpan={2}>
              <Typography.Text strong>{t("unitTotal")}</Typography.Text>
            </Table.Summary.Cell>
            <Table.Summary.Cell index={2} align="right">
              <Typography.Text strong data-testid="plan-total">{formatQty(total)}</Typography.Text>
            </Table.Summary.Cell>
            {editable && <Table.Summary.Cell index={3} />}
          </Table.Summary.Row>
        )}
        columns={[
          {
            title: t("product"),
            dataIndex: "sku",
            render: (sku: string | undefined, l) =>
              editable ? (
                <ProductSelect aria-label={t("product")} value={sku} known={sku ? products[sku] : undefined} onChange={(v) => change(l.key, { sku: v })} />
              ) : (
                productLabel(sku ?? "")
              ),
          },
          {
            title: t("customer"),
            dataIndex: "customer_id",
            width: 300,
            render: (id: string | null | undefined, l) =>
              editable ? (
                <CustomerSelect placeholder={t("noCustomer")} value={id} onChange={(v) => change(l.key, { customer_id: v ?? null })} />
              ) : id ? (
                (names[id] ?? id)
              ) : (
                t("noCustomer")
              ),
          },
          {
            title: t("quantity"),
            dataIndex: "quantity",
            width: 170,
            align: "right",
            render: (q: number | null, l) =>
              editable ? (
                <InputNumber aria-label={t("quantity")} min={0} precision={0} value={q} onChange={(v) => change(l.key, { quantity: v })} style={{ width: 140 }} />
              ) : (
                formatQty(q)
              ),
          },
          ...(editable
            ? [
                {
                  title: "",
                  key: "remove",
                  width: 80,
                  render: (_: unknown, l: Line) => (
                    <Button
                      size="small"
                      icon={<DeleteOutlined />}
                      onClick={() => {
                        setLines((current) => current.filter((x) => x.key !== l.key));
                        setDirty(true);
                      }}
                    >
                      {t("remove")}
                    </Button>
                  ),
                },
              ]
            : []),
        ]}
      />
      {editable && (
        <Flex gap={8} style={{ marginTop: 12 }}>
          <Button
            icon={<PlusOutlined />}
            onClick={() => {
              setLines((current) => [...current, { key: nextKey++, quantity: null, customer_id: null }]);
              setDirty(true);
            }}
          >
            {t("addLine")}
          </Button>
          <Button type="primary" loading={saving} onClick={() => void save()}>
            {t("save")}
          </Button>
        </Flex>
      )}
    </Card>
  );
}
