import { PlusOutlined } from "@ant-design/icons";
import { Button, DatePicker, Flex, Select, Space, Table, Typography } from "antd";
import dayjs from "dayjs";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { api, ok } from "../../api/client";
import { CustomerSelect } from "../../components/CustomerSelect";
import { ExportButton } from "../../components/ExportButton";
import { Pager } from "../../components/Pager";
import { ProblemAlert } from "../../components/Problem";
import { useCursorList } from "../../components/useCursorList";
import { hasRole, useUser } from "../../components/UserContext";
import { formatAmount, formatDateTime } from "../../format";
import { useLang, useT } from "../../i18n";
import { ORDER_STATES, options } from "../../labels";
import { type Order, OrderStateTag, shortId, useUserNames } from "./common";
import { m } from "./messages";

const FILTERS = ["state", "month", "customer_id"] as const;
const ORDERING = ["rep", "dept_head", "branch_head", "hq_admin", "distributor"] as const; // order:create (a distributor: for itself)

export default function OrderList() {
  const t = useT(m);
  const { lang } = useLang();
  const user = useUser();
  const who = useUserNames();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams(); // filters live in the URL: back, reload and links keep them
  const filters = Object.fromEntries(FILTERS.map((key) => [key, params.get(key) ?? undefined])) as Record<(typeof FILTERS)[number], string | undefined>;
  const set = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const list = useCursorList<Order>(
    (cursor) => ok(api().GET("/orders", { params: { query: { ...filters, cursor, limit: 20 } } })),
    [params.toString()],
  );

  return (
    <>
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 16 }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t("orders")}
        </Typography.Title>
        <Space wrap>
          <ExportButton list="orders" filters={filters} />
          {hasRole(user, ...ORDERING) && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate("/orders/new")}>
              {t("newOrder")}
            </Button>
          )}
        </Space>
      </Flex>
      <Space wrap style={{ marginBottom: 16 }}>
        <Select aria-label={t("state")} placeholder={t("allStates")} allowClear value={filters.state} options={options(ORDER_STATES, lang)} onChange={(v) => set("state", v)} style={{ width: 140 }} />
        <DatePicker
          picker="month"
          aria-label={t("month")}
          placeholder={t("month")}
          value={filters.month ? dayjs(`${filters.month}-01`) : null}
          onChange={(d) => set("month", d ? d.format("YYYY-MM") : undefined)}
        />
        <CustomerSelect id="order-customer-filter" placeholder={t("customer")} value={filters.customer_id} onChange={(v) => set("customer_id", v)} />
      </Space>
      <ProblemAlert error={list.error} />
      <Table<Order>
        rowKey="id"
        size="middle"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        scroll={{ x: 900 }}
        locale={{ emptyText: t("empty") }}
        columns={[
          { title: t("orderNo"), dataIndex: "id", width: 120, render: (id: string) => <Link to={`/orders/${id}`}>{shortId(id)}</Link> },
          { title: t("customer"), dataIndex: "customer_name", render: (v: string, o) => <Link to={`/orders/${o.id}`}>{v}</Link> },
          { title: t("state"), dataIndex: "state", width: 110, render: (v: string) => <OrderStateTag state={v} /> },
          { title: t("total"), dataIndex: "total", width: 140, align: "right", render: (v: string) => formatAmount(v) },
          { title: t("lineCount"), key: "lines", width: 80, align: "right", render: (_, o) => o.lines.length },
          { title: t("owner"), dataIndex: "owner_id", width: 120, render: (v?: string | null) => who(v) },
          { title: t("createdAt"), dataIndex: "created_at", width: 150, render: formatDateTime },
        ]}
      />
      <Pager pageNumber={list.pageNumber} hasNext={list.hasNext} next={list.next} previous={list.previous} />
    </>
  );
}
