import { Table, Tag } from "antd";
import { Link } from "react-router-dom";
import { api, ok, type Schemas } from "../../api/client";
import { useRemote } from "../../components/useRemote";
import { formatDate } from "../../format";
import { useT } from "../../i18n";
import { m } from "./messages";

type Evidence = Schemas["Evidence"];

/** sku -> product name, to show names beside codes. */
export function useProductNames(): Record<string, string> {
  const products = useRemote(async () => {
    const names: Record<string, string> = {};
    let cursor: string | undefined;
    do {
      const page = await ok(api().GET("/products", { params: { query: { limit: 200, cursor } } }));
      for (const p of page.items) names[p.sku] = p.name;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return names;
  }, []);
  return products.data ?? {};
}

export function num(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat("zh-CN", { maximumFractionDigits: 3 }).format(value);
}

export function pct(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : `${value.toFixed(1)}%`;
}

/** A diversion signal's evidence: the flow rows that raised it, each linked to its file. */
export function EvidenceTable({ rows, total, productName }: { rows: Evidence[]; total: number; productName: (sku: string) => string }) {
  const t = useT(m);
  return (
    <>
      {total > rows.length && <Tag style={{ marginBottom: 8 }}>{t("evidenceMore", { total, n: rows.length })}</Tag>}
      <Table<Evidence>
        rowKey={(e) => `${e.load_id}-${e.source_row}-${e.source_line}`}
        size="small"
        pagination={false}
        dataSource={rows}
        columns={[
          { title: t("date"), dataIndex: "sale_date", width: 110, render: formatDate },
          { title: t("buyer"), dataIndex: "buyer_name", render: (v: string, e) => (e.customer_id ? <Link to={`/customers/${e.customer_id}`}>{v}</Link> : v) },
          { title: t("sku"), dataIndex: "sku", render: productName },
          { title: t("batch"), dataIndex: "batch", width: 110, render: (v?: string | null) => v ?? "—" },
          { title: t("quantity"), dataIndex: "base_quantity", width: 110, align: "right", render: num },
          { title: t("load"), width: 150, render: (_, e) => <Link to={`/flow/loads/${e.load_id}`}>{`${t("fileRow")} ${e.source_row}`}</Link> },
        ]}
      />
    </>
  );
}
