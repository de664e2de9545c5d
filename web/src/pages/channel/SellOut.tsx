import { Input, Select, Space, Table, Tag, Typography } from "antd";
import type { ColumnsType } from "antd/es/table";
import { Link } from "react-router-dom";
import { api, ok, type Schemas } from "../../api/client";
import { CustomerSelect } from "../../components/CustomerSelect";
import { Pager } from "../../components/Pager";
import { ProblemAlert } from "../../components/Problem";
import { useCursorList } from "../../components/useCursorList";
import { useDistributorNames } from "../../components/useDistributors";
import { useLang, useT } from "../../i18n";
import { options } from "../../labels";
import { lastMonth, MonthPicker, useUrlFilters } from "../../components/filters";
import { num, useProductNames } from "./common";
import { GROUP_BY, m } from "./messages";

type Row = Schemas["SellOutRow"];
type GroupBy = Schemas["SellOutReport"]["group_by"];

export default function SellOut() {
  const t = useT(m);
  const { lang } = useLang();
  const filters = useUrlFilters();
  const names = useDistributorNames();
  const products = useProductNames();
  const period = filters.get("period") ?? lastMonth();
  const groupBy = (filters.get("group_by") ?? "terminal_product") as GroupBy;
  const terminalId = filters.get("terminal_id");
  const sku = filters.get("sku");
  const list = useCursorList<Row>(
    (cursor) => ok(api().GET("/sellout", { params: { query: { period, group_by: groupBy, terminal_id: terminalId, sku, cursor, limit: 50 } } })),
    [period, groupBy, terminalId, sku],
  );

  const terminal: ColumnsType<Row> = [
    {
      title: t("terminal"),
      width: 240,
      render: (_, r) =>
        r.terminal_id ? (
          <Link to={`/customers/${r.terminal_id}`}>{r.store_name ?? r.terminal_id}</Link>
        ) : (
          <Space>
            <span>{r.store_name ?? "—"}</span>
            <Tag color="orange">{t("unmatched")}</Tag>
          </Space>
        ),
    },
  ];
  const product: ColumnsType<Row> = [
    { title: t("sku"), dataIndex: "sku", width: 110 },
    { title: t("productName"), width: 180, render: (_, r) => r.product_name ?? products[r.sku ?? ""] ?? "—" },
  ];
  const byProduct: ColumnsType<Row> = [
    {
      title: t("products"),
      render: (_, r) =>
        Object.entries((r.base_qty_by_sku ?? {}) as Record<string, number>)
          .map(([s, q]) => `${products[s] ?? s} ${num(q)}`)
          .join("；") || "—",
    },
  ];
  const columns: ColumnsType<Row> = [
    ...(groupBy !== "product" ? terminal : []),
    ...(groupBy !== "terminal" ? product : byProduct),
    {
      title: t("baseQty"),
      dataIndex: "base_quantity",
      width: 130,
      align: "right",
      render: (q: number, r) => (groupBy === "terminal" ? num(q) : `${num(q)} ${r.base_unit ?? ""}`),
    },
    { title: t("rows"), dataIndex: "rows", width: 80, align: "right" },
    { title: t("reportedBy"), dataIndex: "reported_by", width: 220, render: (ids: string[]) => ids.map((id) => names[id] ?? id).join("、") },
  ];

  return (
    <>
      <Typography.Title level={3} style={{ marginTop: 0 }}>{t("sellout")}</Typography.Title>
      <Space wrap style={{ marginBottom: 16 }}>
        <MonthPicker label={t("month")} value={period} onChange={(v) => filters.set("period", v)} />
        <Select aria-label={t("groupBy")} value={groupBy} options={options(GROUP_BY, lang)} onChange={(v) => filters.set("group_by", v)} style={{ width: 150 }} />
        <CustomerSelect type="terminal" placeholder={t("terminalFilter")} value={terminalId} onChange={(v) => filters.set("terminal_id", v)} />
        <Input.Search
          aria-label={t("skuFilter")}
          placeholder={t("skuFilter")}
          allowClear
          defaultValue={sku}
          onSearch={(v) => filters.set("sku", v.trim() || undefined)}
          style={{ width: 160 }}
        />
      </Space>
      <ProblemAlert error={list.error} />
      <Table<Row>
        rowKey={(r) => `${r.terminal_id ?? r.store_name ?? ""}-${r.sku ?? ""}`}
        size="small"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        scroll={{ x: 1000 }}
        locale={{ emptyText: t("empty") }}
        columns={columns}
      />
      <Pager pageNumber={list.pageNumber} hasNext={list.hasNext} next={list.next} previous={list.previous} />
    </>
  );
}
