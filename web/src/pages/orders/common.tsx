// Pieces the order, return and approval pages share: state tags, user names (re-exported), the lines table, a history table.
import { Table, Tag, Typography } from "antd";
import { type Schemas } from "../../api/client";
import { Pager } from "../../components/Pager";
import { ProblemAlert } from "../../components/Problem";
import { useCursorList } from "../../components/useCursorList";
import { useUserNames } from "../../components/useUserNames";
import { formatAmount, formatDateTime, formatQty } from "../../format";
import { defineMessages, useLang, useT, type Lang } from "../../i18n";
import { name, type Names, ORDER_STATES } from "../../labels";
import { m } from "./messages";

export type Order = Schemas["Order"];
export type ReturnRequest = Schemas["ReturnRequest"];

export const RETURN_STATES: Names = {
  submitted: { zh: "审批中", en: "Submitted" },
  approved: { zh: "已批准", en: "Approved" },
  rejected: { zh: "已驳回", en: "Rejected" },
  expired: { zh: "已过期", en: "Expired" },
  closed: { zh: "已关闭", en: "Closed" },
};

// What each history entry did (ORDER_TRANSITIONS' actions and the return's).
export const ACTIONS: Names = {
  create: { zh: "创建", en: "Created" },
  edit: { zh: "修改", en: "Edited" },
  submit: { zh: "提交审批", en: "Submitted" },
  withdraw: { zh: "撤回", en: "Withdrawn" },
  approve: { zh: "审批通过", en: "Approved" },
  reject: { zh: "审批驳回", en: "Rejected" },
  expire: { zh: "审批超时退回", en: "Expired" },
  process: { zh: "ERP 接单", en: "Taken by the ERP" },
  ship: { zh: "发货", en: "Shipped" },
  close: { zh: "关闭", en: "Closed" },
  void: { zh: "作废", en: "Voided" },
  return: { zh: "申请退货", en: "Return requested" },
  return_released: { zh: "退货未通过，数量释放", en: "Return released" },
};

const STATE_COLORS: Record<string, string> = {
  saved: "default",
  submitted: "processing",
  approved: "green",
  processed: "cyan",
  shipped: "blue",
  closed: "default",
  void: "red",
  rejected: "red",
  expired: "orange",
};

export function OrderStateTag({ state }: { state: string }) {
  const { lang } = useLang();
  return <Tag color={STATE_COLORS[state]}>{name(ORDER_STATES, state, lang)}</Tag>;
}

export function ReturnStateTag({ state }: { state: string }) {
  const { lang } = useLang();
  return <Tag color={STATE_COLORS[state]}>{name(RETURN_STATES, state, lang)}</Tag>;
}

export function shortId(id: string): string {
  return id.slice(-8);
}

export { useUserNames };

/** The order's lines with amounts, shipped and returned quantities, and the total. */
export function OrderLines({ order }: { order: Order }) {
  const t = useT(m);
  const sumBy = (list: Schemas["SkuBatchQuantity"][] | undefined, sku: string) =>
    (list ?? []).filter((q) => q.sku === sku).reduce((n, q) => n + q.quantity, 0);
  const tracked = (order.shipped ?? []).length > 0;
  return (
    <Table<Schemas["OrderLine"]>
      rowKey="line_no"
      size="small"
      pagination={false}
      dataSource={order.lines}
      scroll={{ x: 900 }}
      columns={[
        { title: "#", dataIndex: "line_no", width: 48 },
        { title: t("sku"), dataIndex: "sku", width: 110 },
        { title: t("product"), dataIndex: "name" },
        { title: t("spec"), dataIndex: "spec", width: 110 },
        { title: t("quantity"), dataIndex: "quantity", align: "right", width: 90, render: (v: number, l) => `${formatQty(v)} ${l.base_unit}` },
        { title: t("listPrice"), dataIndex: "list_price", align: "right", width: 100, render: (v?: string | null) => formatAmount(v) },
        {
          title: t("unitPrice"),
          dataIndex: "unit_price",
          align: "right",
          width: 150,
          render: (v: string, l) =>
            l.price_override_reason ? (
              <span>
                {formatAmount(v)}{" "}
                <Tag color="orange" title={l.price_override_reason}>
                  {t("priceOverridden")}
                </Tag>
                <Typography.Text type="secondary" style={{ display: "block", fontSize: 12 }}>
                  {l.price_override_reason}
                </Typography.Text>
              </span>
            ) : (
              formatAmount(v)
            ),
        },
        { title: t("amount"), dataIndex: "amount", align: "right", width: 120, render: (v: string) => formatAmount(v) },
        ...(tracked
          ? [
              { title: t("shipped"), key: "shipped", align: "right" as const, width: 90, render: (_: unknown, l: Schemas["OrderLine"]) => formatQty(sumBy(order.shipped, l.sku)) },
              { title: t("returned"), key: "returned", align: "right" as const, width: 110, render: (_: unknown, l: Schemas["OrderLine"]) => formatQty(sumBy(order.returned, l.sku)) },
            ]
          : []),
      ]}
      summary={() => (
        <Table.Summary.Row>
          <Table.Summary.Cell index={0} colSpan={7}>
            <Typography.Text strong>{t("total")}</Typography.Text>
          </Table.Summary.Cell>
          <Table.Summary.Cell index={7} align="right">
            <Typography.Text strong data-testid="order-total">
              {formatAmount(order.total)}
            </Typography.Text>
          </Table.Summary.Cell>
          {tracked && <Table.Summary.Cell index={8} colSpan={2} />}
        </Table.Summary.Row>
      )}
    />
  );
}

const hm = defineMessages({
  zh: { empty: "暂无记录" },
  en: { empty: "Nothing yet" },
});

/** Transitions of an order or a return (GET .../history), who and when, with the comment each carried. */
export function TransitionHistory({ load, states, deps }: { load: (cursor?: string) => Promise<Schemas["TransitionPage"]>; states: Names; deps: unknown[] }) {
  const t = useT(m);
  const th = useT(hm);
  const { lang } = useLang();
  const who = useUserNames();
  const history = useCursorList(load, deps);
  return (
    <>
      <ProblemAlert error={history.error} />
      <Table<Schemas["Transition"]>
        rowKey="id"
        size="small"
        pagination={false}
        loading={history.loading}
        dataSource={history.items}
        scroll={{ x: 760 }}
        locale={{ emptyText: th("empty") }}
        columns={[
          { title: t("at"), dataIndex: "at", width: 150, render: formatDateTime },
          { title: t("action"), dataIndex: "action", width: 150, render: (v: string) => actionName(v, lang) },
          { title: t("from"), dataIndex: "from_state", width: 100, render: (v?: string | null) => name(states, v, lang) },
          { title: t("to"), dataIndex: "to_state", width: 100, render: (v: string) => name(states, v, lang) },
          { title: t("by"), dataIndex: "by", width: 140, render: (v: string) => who(v) },
          { title: t("comment"), dataIndex: "comment", render: (v?: string | null) => v ?? "—" },
        ]}
      />
      <Pager pageNumber={history.pageNumber} hasNext={history.hasNext} next={history.next} previous={history.previous} />
    </>
  );
}

export function actionName(action: string, lang: Lang): string {
  return name(ACTIONS, action, lang);
}
