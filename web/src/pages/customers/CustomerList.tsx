import { PlusOutlined } from "@ant-design/icons";
import { Button, Checkbox, Flex, Input, Select, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { api, ok, type Schemas } from "../../api/client";
import { ExportButton } from "../../components/ExportButton";
import { useUrlFilters } from "../../components/filters";
import { Pager } from "../../components/Pager";
import { ProblemAlert } from "../../components/Problem";
import { useCursorList } from "../../components/useCursorList";
import { OrgUnitSelect } from "../../components/OrgUnitSelect";
import { hasRole, useUser } from "../../components/UserContext";
import { UserSelect } from "../../components/UserSelect";
import { useLang, useT } from "../../i18n";
import { CUSTOMER_STATUSES, CUSTOMER_TYPES, name, options } from "../../labels";
import { MANAGERS } from "../../modules";
import { m } from "./messages";

type Customer = Schemas["Customer"];
const FILTERS = ["q", "type", "status", "level", "city", "owner_id", "org_unit_id", "include_voided"] as const;

export default function CustomerList() {
  const t = useT(m);
  const { lang } = useLang();
  const user = useUser();
  const navigate = useNavigate();
  const filter = useUrlFilters(); // filters live in the URL: back, reload and links keep them
  const filters = Object.fromEntries(FILTERS.map((key) => [key, filter.get(key)])) as Record<(typeof FILTERS)[number], string | undefined>;
  const [q, setQ] = useState(filters.q ?? "");
  const set = filter.set;
  const query = { ...filters, include_voided: filters.include_voided === "true" } as const;
  const list = useCursorList<Customer>(
    (cursor) =>
      ok(
        api().GET("/customers", {
          params: {
            query: {
              ...query,
              type: query.type as Customer["type"] | undefined,
              status: query.status as Customer["status"] | undefined,
              cursor,
              limit: 20,
            },
          },
        }),
      ),
    [filter.key],
  );

  return (
    <>
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 16 }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t("customers")}
        </Typography.Title>
        <Space wrap>
          <ExportButton list="customers" filters={{ ...query, include_voided: query.include_voided || undefined }} />
          <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate("/customers/new")}>
            {t("newCustomer")}
          </Button>
        </Space>
      </Flex>
      <Space wrap style={{ marginBottom: 16 }}>
        <Input.Search
          aria-label={t("search")}
          placeholder={t("search")}
          allowClear
          value={q}
          onChange={(e) => setQ(e.target.value)}
          onSearch={(value) => set("q", value.trim() || undefined)}
          style={{ width: 260 }}
        />
        <Select aria-label={t("type")} placeholder={t("type")} allowClear value={filters.type} options={options(CUSTOMER_TYPES, lang)} onChange={(v) => set("type", v)} style={{ width: 120 }} />
        <Select aria-label={t("status")} placeholder={t("status")} allowClear value={filters.status} options={options(CUSTOMER_STATUSES, lang)} onChange={(v) => set("status", v)} style={{ width: 120 }} />
        <Select aria-label={t("level")} placeholder={t("level")} allowClear value={filters.level} options={["A", "B", "C", "D"].map((v) => ({ value: v, label: v }))} onChange={(v) => set("level", v)} style={{ width: 100 }} />
        <Input.Search aria-label={t("city")} placeholder={t("city")} allowClear defaultValue={filters.city} onSearch={(v) => set("city", v.trim() || undefined)} style={{ width: 140 }} />
        {hasRole(user, ...MANAGERS) && <UserSelect placeholder={t("owner")} value={filters.owner_id} onChange={(v) => set("owner_id", v)} />}
        {hasRole(user, ...MANAGERS) && <OrgUnitSelect placeholder={t("orgUnit")} value={filters.org_unit_id} onChange={(v) => set("org_unit_id", v)} />}
        {hasRole(user, ...MANAGERS) && (
          <Checkbox checked={query.include_voided} onChange={(e) => set("include_voided", e.target.checked ? "true" : undefined)}>
            {t("includeVoided")}
          </Checkbox>
        )}
      </Space>
      <ProblemAlert error={list.error} />
      <Table<Customer>
        rowKey="id"
        size="middle"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        scroll={{ x: 760 }}
        locale={{ emptyText: t("empty") }}
        columns={[
          {
            title: t("name"),
            dataIndex: "name",
            render: (value: string, c) => (
              <Space>
                <Link to={`/customers/${c.id}`}>{value}</Link>
                {c.voided && <Tag color="default">{t("voided")}</Tag>}
              </Space>
            ),
          },
          { title: t("type"), dataIndex: "type", width: 100, render: (v: string) => name(CUSTOMER_TYPES, v, lang) },
          { title: t("level"), dataIndex: "level", width: 70, render: (v?: string | null) => v ?? "—" },
          { title: t("status"), dataIndex: "status", width: 100, render: (v: string) => name(CUSTOMER_STATUSES, v, lang) },
          { title: t("city"), width: 120, render: (_, c) => c.region?.city ?? "—" },
          { title: t("code"), dataIndex: "code", width: 140, render: (v?: string | null) => v ?? "—" },
        ]}
      />
      <Pager pageNumber={list.pageNumber} hasNext={list.hasNext} next={list.next} previous={list.previous} />
    </>
  );
}
