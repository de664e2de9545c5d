import { DeleteOutlined, EditOutlined, PlusOutlined } from "@ant-design/icons";
import { Alert, App, Button, Descriptions, Flex, Input, Result, Select, Space, Spin, Table, Tabs, Tag, Typography } from "antd";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { api, ApiProblem, ok, withEtag, type Schemas } from "../../api/client";
import { ProblemAlert } from "../../components/Problem";
import { useRemote } from "../../components/useRemote";
import { hasRole, useUser } from "../../components/UserContext";
import { formatAmount, formatDateTime, formatQty } from "../../format";
import { useLang, useT } from "../../i18n";
import { CUSTOMER_TYPES, name, options } from "../../labels";
import { HistoryTable } from "./HistoryTable";
import { m } from "./messages";

type Product = Schemas["Product"];
type Price = Schemas["PriceEntry"];
const PRICE = /^(?:[1-9][0-9]{0,11}(?:\.[0-9]{1,4})?|0\.(?:[1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]{0,1}|000[1-9]))$/;
const TYPE_ORDER = ["distributor", "terminal", "person", "other"];
const byTypeAndLevel = (a: Price, b: Price) =>
  TYPE_ORDER.indexOf(a.customer_type) - TYPE_ORDER.indexOf(b.customer_type) || (a.level ?? "").localeCompare(b.level ?? "");

export default function ProductPage() {
  const { sku = "" } = useParams();
  const t = useT(m);
  const user = useUser();
  const navigate = useNavigate();
  const product = useRemote(() => ok(api().GET("/products/{sku}", { params: { path: { sku } } })), [sku]);

  if (product.loading && !product.data) return <Spin />;
  if (product.error instanceof ApiProblem && product.error.status === 404)
    return <Result status="404" title={t("notFound")} extra={<Link to="/products">{t("back")}</Link>} />;
  if (!product.data) return <ProblemAlert error={product.error} />;
  const p = product.data;

  return (
    <>
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 8 }}>
        <Space wrap>
          <Typography.Title level={3} style={{ margin: 0 }}>
            {p.name}
          </Typography.Title>
          <Tag>{p.sku}</Tag>
          <Tag color={p.status === "inactive" ? "default" : "green"}>{t(p.status ?? "active")}</Tag>
        </Space>
        {hasRole(user, "hq_admin") && (
          <Button type="primary" icon={<EditOutlined />} onClick={() => navigate(`/products/${encodeURIComponent(sku)}/edit`)}>
            {t("edit")}
          </Button>
        )}
      </Flex>
      <Tabs
        destroyOnHidden
        items={[
          { key: "profile", label: t("tabProfile"), children: <Profile p={p} /> },
          { key: "prices", label: t("tabPrices"), children: <Prices sku={sku} /> },
          {
            key: "history",
            label: t("tabHistory"),
            children: <HistoryTable load={(cursor) => ok(api().GET("/products/{sku}/history", { params: { path: { sku }, query: { cursor } } }))} deps={[sku]} />,
          },
        ]}
      />
      <Button type="link" onClick={() => navigate("/products")}>
        {t("back")}
      </Button>
    </>
  );
}

function Profile({ p }: { p: Product }) {
  const t = useT(m);
  return (
    <Descriptions bordered size="small" column={{ xs: 1, md: 2, lg: 3 }}>
      <Descriptions.Item label={t("sku")}>{p.sku}</Descriptions.Item>
      <Descriptions.Item label={t("name")}>{p.name}</Descriptions.Item>
      <Descriptions.Item label={t("spec")}>{p.spec}</Descriptions.Item>
      <Descriptions.Item label={t("baseUnit")}>{p.base_unit}</Descriptions.Item>
      <Descriptions.Item label={t("caseSize")}>{p.case_size}</Descriptions.Item>
      <Descriptions.Item label={t("conversion")}>{t("perCase", { n: p.case_size, unit: p.base_unit })}</Descriptions.Item>
      <Descriptions.Item label={t("category")}>{p.category ?? "—"}</Descriptions.Item>
      <Descriptions.Item label={t("stock")}>{p.stock ? `${formatQty(p.stock.available)} ${p.base_unit}` : "—"}</Descriptions.Item>
      <Descriptions.Item label={t("stockAsOf")}>{formatDateTime(p.stock?.as_of)}</Descriptions.Item>
      <Descriptions.Item label={t("createdAt")}>{`${formatDateTime(p.created_at)} · ${p.created_by ?? ""}`}</Descriptions.Item>
      <Descriptions.Item label={t("lastUpdate")}>{`${formatDateTime(p.updated_at)} · ${p.updated_by ?? ""}`}</Descriptions.Item>
    </Descriptions>
  );
}

interface Row {
  key: number;
  customer_type?: Price["customer_type"];
  level: Price["level"] | "";
  unit_price: string;
}
let nextKey = 1;
const toRows = (items: Price[]): Row[] => [...items].sort(byTypeAndLevel).map((e) => ({ key: nextKey++, customer_type: e.customer_type, level: e.level ?? "", unit_price: e.unit_price }));

function Prices({ sku }: { sku: string }) {
  const t = useT(m);
  const { lang } = useLang();
  const user = useUser();
  const { message } = App.useApp();
  const prices = useRemote(() => withEtag(api().GET("/products/{sku}/prices", { params: { path: { sku } } })), [sku]);
  const [rows, setRows] = useState<Row[]>();
  const [error, setError] = useState<unknown>();
  const [conflict, setConflict] = useState<Schemas["PriceList"]>();
  const [saving, setSaving] = useState(false);
  const mayEdit = hasRole(user, "hq_admin", "finance");

  if (prices.loading && !prices.data) return <Spin />;
  if (!prices.data) return <ProblemAlert error={prices.error} />;
  const { data: list, etag } = prices.data;
  const editing = rows !== undefined;
  const change = (key: number, patch: Partial<Row>) => setRows((current) => current?.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  const rowError = (r: Row): string | undefined => {
    if (!r.customer_type) return t("customerType");
    if (!PRICE.test(r.unit_price)) return t("priceFormat");
    if (rows?.some((o) => o.key !== r.key && o.customer_type === r.customer_type && o.level === r.level)) return t("duplicatePrice");
    return undefined;
  };

  async function save() {
    if (!rows || rows.some(rowError)) return;
    setSaving(true);
    setError(undefined);
    try {
      const body = { items: rows.map((r) => ({ customer_type: r.customer_type as Price["customer_type"], level: r.level || null, unit_price: r.unit_price })) };
      const saved = await withEtag(api().PUT("/products/{sku}/prices", { params: { path: { sku }, header: { "if-match": etag } }, body }));
      prices.setData(saved);
      setRows(undefined);
      setConflict(undefined);
      message.success(t("pricesSaved"));
    } catch (err) {
      if (err instanceof ApiProblem && err.status === 412) {
        const fresh = await withEtag(api().GET("/products/{sku}/prices", { params: { path: { sku } } }));
        prices.setData(fresh);
        setConflict(fresh.data);
        setRows(toRows(fresh.data.items));
      } else setError(err);
    } finally {
      setSaving(false);
    }
  }

  return (
    <>
      {conflict && (
        <Alert type="warning" showIcon role="alert" title={t("priceConflict", { who: conflict.updated_by ?? "", at: formatDateTime(conflict.updated_at) })} style={{ marginBottom: 12 }} />
      )}
      <ProblemAlert error={error} onClose={() => setError(undefined)} />
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 8 }}>
        <Typography.Text type="secondary">
          {t("priceHelp")} {list.updated_at && `${t("lastUpdate")}: ${formatDateTime(list.updated_at)} · ${list.updated_by ?? ""}`}
        </Typography.Text>
        {mayEdit && !editing && (
          <Button icon={<EditOutlined />} onClick={() => setRows(toRows(list.items))}>
            {t("editPrices")}
          </Button>
        )}
      </Flex>
      {editing ? (
        <>
          <Table<Row>
            rowKey="key"
            size="small"
            pagination={false}
            dataSource={rows}
            scroll={{ x: 680 }}
            columns={[
              {
                title: t("customerType"),
                width: 180,
                render: (_, r) => (
                  <Select aria-label={t("customerType")} value={r.customer_type} options={options(CUSTOMER_TYPES, lang)} onChange={(v) => change(r.key, { customer_type: v })} style={{ width: 160 }} />
                ),
              },
              {
                title: t("level"),
                width: 200,
                render: (_, r) => (
                  <Select
                    aria-label={t("level")}
                    value={r.level ?? ""}
                    options={[{ value: "", label: t("allLevels") }, ...["A", "B", "C", "D"].map((v) => ({ value: v, label: v }))]}
                    onChange={(v) => change(r.key, { level: v as Row["level"] })}
                    style={{ width: 180 }}
                  />
                ),
              },
              {
                title: t("unitPrice"),
                render: (_, r) => {
                  const problem = r.unit_price ? rowError(r) : undefined;
                  return (
                    <Space orientation="vertical" size={0}>
                      <Input aria-label={t("unitPrice")} prefix="¥" inputMode="decimal" value={r.unit_price} status={problem ? "error" : undefined} onChange={(e) => change(r.key, { unit_price: e.target.value.trim() })} style={{ width: 160 }} />
                      {problem && <Typography.Text type="danger" style={{ fontSize: 12 }}>{problem}</Typography.Text>}
                    </Space>
                  );
                },
              },
              {
                title: "",
                width: 90,
                render: (_, r) => (
                  <Button size="small" icon={<DeleteOutlined />} onClick={() => setRows((current) => current?.filter((x) => x.key !== r.key))}>
                    {t("remove")}
                  </Button>
                ),
              },
            ]}
          />
          <Flex gap={8} style={{ marginTop: 12 }}>
            <Button icon={<PlusOutlined />} onClick={() => setRows((current) => [...(current ?? []), { key: nextKey++, customer_type: "terminal", level: "", unit_price: "" }])}>
              {t("addPrice")}
            </Button>
            <Button type="primary" loading={saving} disabled={rows.some((r) => Boolean(rowError(r)))} onClick={() => void save()}>
              {t("savePrices")}
            </Button>
            <Button onClick={() => { setRows(undefined); setConflict(undefined); }}>{t("cancel")}</Button>
          </Flex>
        </>
      ) : (
        <Table<Price>
          rowKey={(e) => `${e.customer_type}-${e.level ?? ""}`}
          size="small"
          pagination={false}
          dataSource={[...list.items].sort(byTypeAndLevel)}
          locale={{ emptyText: t("noPrices") }}
          scroll={{ x: 480 }}
          columns={[
            { title: t("customerType"), dataIndex: "customer_type", render: (v: string) => name(CUSTOMER_TYPES, v, lang) },
            { title: t("level"), dataIndex: "level", render: (v?: string | null) => v ?? t("allLevels") },
            { title: t("unitPrice"), dataIndex: "unit_price", align: "right", render: (v: string) => formatAmount(v) },
          ]}
        />
      )}
    </>
  );
}
