import { PlusOutlined, UploadOutlined } from "@ant-design/icons";
import { Button, Flex, Input, Select, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { api, ok, type Schemas } from "../../api/client";
import { Pager } from "../../components/Pager";
import { ProblemAlert } from "../../components/Problem";
import { useCursorList } from "../../components/useCursorList";
import { hasRole, useUser } from "../../components/UserContext";
import { formatDateTime, formatQty } from "../../format";
import { useT } from "../../i18n";
import { ImportDialog } from "../plans/upload";
import { m } from "./messages";

type Product = Schemas["Product"];
type Status = Schemas["ProductStatus"];

export default function ProductList() {
  const t = useT(m);
  const user = useUser();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? undefined;
  const category = params.get("category") ?? undefined;
  const status = (params.get("status") ?? undefined) as Status | undefined;
  const [text, setText] = useState(q ?? "");
  const [importing, setImporting] = useState(false);
  const admin = hasRole(user, "hq_admin");
  const set = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const list = useCursorList<Product>(
    (cursor) => ok(api().GET("/products", { params: { query: { q, category, status, cursor, limit: 20 } } })),
    [params.toString()],
  );

  return (
    <>
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 16 }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t("products")}
        </Typography.Title>
        {admin && (
          <Space wrap>
            <Button icon={<UploadOutlined />} onClick={() => setImporting(true)}>
              {t("import")}
            </Button>
            <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate("/products/new")}>
              {t("newProduct")}
            </Button>
          </Space>
        )}
      </Flex>
      <Space wrap style={{ marginBottom: 16 }}>
        <Input.Search
          aria-label={t("search")}
          placeholder={t("search")}
          allowClear
          value={text}
          onChange={(e) => setText(e.target.value)}
          onSearch={(v) => set("q", v.trim() || undefined)}
          style={{ width: 260 }}
        />
        <Input.Search aria-label={t("category")} placeholder={t("category")} allowClear defaultValue={category} onSearch={(v) => set("category", v.trim() || undefined)} style={{ width: 160 }} />
        <Select
          aria-label={t("status")}
          placeholder={t("status")}
          allowClear
          value={status}
          onChange={(v) => set("status", v)}
          options={[
            { value: "active", label: t("active") },
            { value: "inactive", label: t("inactive") },
          ]}
          style={{ width: 120 }}
        />
      </Space>
      <ProblemAlert error={list.error} />
      <Table<Product>
        rowKey="sku"
        size="middle"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        scroll={{ x: 900 }}
        locale={{ emptyText: t("empty") }}
        columns={[
          { title: t("sku"), dataIndex: "sku", width: 120, render: (sku: string) => <Link to={`/products/${encodeURIComponent(sku)}`}>{sku}</Link> },
          { title: t("name"), dataIndex: "name", render: (v: string, p) => <Link to={`/products/${encodeURIComponent(p.sku)}`}>{v}</Link> },
          { title: t("spec"), dataIndex: "spec", width: 160 },
          { title: t("baseUnit"), dataIndex: "base_unit", width: 90 },
          { title: t("caseSize"), dataIndex: "case_size", width: 90, align: "right" },
          { title: t("category"), dataIndex: "category", width: 100, render: (v?: string | null) => v ?? "—" },
          { title: t("status"), dataIndex: "status", width: 80, render: (v?: Status) => <Tag color={v === "inactive" ? "default" : "green"}>{t(v ?? "active")}</Tag> },
          {
            title: t("stock"),
            dataIndex: "stock",
            width: 170,
            align: "right",
            render: (s: Product["stock"]) => (s ? <span title={formatDateTime(s.as_of)}>{formatQty(s.available)}</span> : "—"),
          },
        ]}
      />
      <Pager pageNumber={list.pageNumber} hasNext={list.hasNext} next={list.next} previous={list.previous} />
      <ImportDialog<Schemas["ProductImport"]>
        open={importing}
        title={t("importTitle")}
        hint={t("importHint")}
        start={(fileName) => ok(api().POST("/product-imports", { body: { file_name: fileName } }))}
        poll={(id) => ok(api().GET("/product-imports/{import_id}", { params: { path: { import_id: id } } }))}
        summary={(r) =>
          r.status === "rejected"
            ? t("importRejected")
            : t("importDone", { created: r.created ?? 0, updated: r.updated ?? 0, unchanged: r.unchanged ?? 0, rejected: r.rejected ?? 0 })
        }
        onFinished={list.reload}
        onClose={() => setImporting(false)}
      />
    </>
  );
}
