import { Badge, Card, Col, List, Row, Statistic, Tag, Typography } from "antd";
import dayjs from "dayjs";
import type { ReactNode } from "react";
import { Link, Navigate } from "react-router-dom";
import { api, ok } from "../../api/client";
import { ProblemAlert } from "../../components/Problem";
import { useDistributorNames } from "../../components/useDistributors";
import { useRemote } from "../../components/useRemote";
import { hasRole, useUser } from "../../components/UserContext";
import { formatAmount, formatDateTime, formatRate } from "../../format";
import { defineMessages, useLang, useT } from "../../i18n";
import { APPROVAL_KINDS, LOAD_STATUSES, name, ROLE_NAMES, VISIT_STATES } from "../../labels";
import { APPROVERS } from "../../modules";

const m = defineMessages({
  zh: {
    hello: "{name}，您好", myCustomers: "我的客户", customers: "客户", inbox: "待我审批", visitsToday: "今日拜访",
    fileErrors: "有问题的经销商文件", matchRate: "经销商流向匹配率", notifications: "未读通知", all: "查看全部", none: "暂无",
    unread: "条未读",
  },
  en: {
    hello: "Hello, {name}", myCustomers: "My customers", customers: "Customers", inbox: "Waiting for my approval",
    visitsToday: "Visits today", fileErrors: "Distributor files with problems", matchRate: "Match rate of my distributors",
    notifications: "Unread notifications", all: "See all", none: "Nothing here", unread: "unread",
  },
});

function Panel({ title, to, children, error }: { title: string; to?: string; children: ReactNode; error?: unknown }) {
  const t = useT(m);
  return (
    <Card title={title} size="small" extra={to && <Link to={to}>{t("all")}</Link>} style={{ height: "100%" }}>
      <ProblemAlert error={error} />
      {children}
    </Card>
  );
}

export default function Home() {
  const user = useUser();
  if (user.roles.every((role) => role === "distributor")) return <Navigate to="/portal/upload" replace />; // its portal
  return <OfficeHome />;
}

function OfficeHome() {
  const t = useT(m);
  const { lang } = useLang();
  const user = useUser();
  const rep = user.roles.includes("rep");
  const approver = hasRole(user, ...APPROVERS);
  const today = dayjs().format("YYYY-MM-DD");
  const distributorNames = useDistributorNames();

  const customers = useRemote(() => ok(api().GET("/customers", { params: { query: { owner_id: rep ? user.id : undefined, limit: 6 } } })), []);
  const inbox = useRemote(() => (approver ? ok(api().GET("/approvals/inbox", { params: { query: { limit: 6 } } })) : Promise.resolve(undefined)), []);
  const visits = useRemote(() => ok(api().GET("/visits", { params: { query: { on: today, rep_id: rep ? user.id : undefined, limit: 50 } } })), []);
  const loads = useRemote(() => ok(api().GET("/flow-loads", { params: { query: { limit: 100 } } })), []);
  const unread = useRemote(() => ok(api().GET("/notifications", { params: { query: { unread: "true", limit: 5 } } })), []);

  const problemLoads = (loads.data?.items ?? []).filter((l) => l.status === "accepted_with_errors" || l.status === "rejected").slice(0, 6);
  const latestRate = new Map<string, number>();
  for (const load of loads.data?.items ?? []) {
    const rate = load.summary?.match_rate;
    if (load.kind === "flow" && rate !== null && rate !== undefined && !latestRate.has(load.distributor_id)) latestRate.set(load.distributor_id, rate);
  }

  return (
    <>
      <Typography.Title level={3}>{t("hello", { name: user.name })}</Typography.Title>
      <Typography.Paragraph type="secondary">{user.roles.map((r) => ROLE_NAMES[r]?.[lang] ?? r).join(" · ")}</Typography.Paragraph>
      <Row gutter={[16, 16]}>
        <Col xs={24} md={12} xl={8}>
          <Panel title={rep ? t("myCustomers") : t("customers")} to={rep ? `/customers?owner_id=${user.id}` : "/customers"} error={customers.error}>
            <List
              size="small"
              loading={customers.loading}
              dataSource={customers.data?.items ?? []}
              locale={{ emptyText: t("none") }}
              renderItem={(c) => (
                <List.Item extra={c.level && <Tag color="gold">{c.level}</Tag>}>
                  <Link to={`/customers/${c.id}`}>{c.name}</Link>
                </List.Item>
              )}
            />
          </Panel>
        </Col>
        {approver && (
          <Col xs={24} md={12} xl={8}>
            <Panel title={t("inbox")} to="/approvals" error={inbox.error}>
              <List
                size="small"
                loading={inbox.loading}
                dataSource={inbox.data?.items ?? []}
                locale={{ emptyText: t("none") }}
                renderItem={(a) => (
                  <List.Item extra={a.amount ? formatAmount(a.amount) : null}>
                    <Link to={`/approvals/${a.approval_id}`}>
                      {name(APPROVAL_KINDS, a.kind, lang)} · {a.subject_label}
                    </Link>
                  </List.Item>
                )}
              />
            </Panel>
          </Col>
        )}
        <Col xs={24} md={12} xl={8}>
          <Panel title={t("visitsToday")} to="/visits" error={visits.error}>
            <Statistic value={visits.data?.items.length ?? 0} loading={visits.loading} />
            <List
              size="small"
              locale={{ emptyText: " " }}
              dataSource={(visits.data?.items ?? []).slice(0, 5)}
              renderItem={(v) => (
                <List.Item extra={name(VISIT_STATES, v.state, lang)}>
                  <Link to={`/customers/${v.customer_id}`}>{v.customer_name}</Link>
                </List.Item>
              )}
            />
          </Panel>
        </Col>
        <Col xs={24} md={12} xl={8}>
          <Panel title={t("fileErrors")} to="/flow/loads" error={loads.error}>
            <List
              size="small"
              loading={loads.loading}
              dataSource={problemLoads}
              locale={{ emptyText: t("none") }}
              renderItem={(l) => (
                <List.Item extra={<Tag color={l.status === "rejected" ? "red" : "orange"}>{name(LOAD_STATUSES, l.status, lang)}</Tag>}>
                  <Link to={`/flow/loads/${l.id}`}>
                    {distributorNames[l.distributor_id] ?? l.distributor_id} · {l.period}
                  </Link>
                </List.Item>
              )}
            />
          </Panel>
        </Col>
        <Col xs={24} md={12} xl={8}>
          <Panel title={t("matchRate")} to="/flow/reviews" error={loads.error}>
            <List
              size="small"
              loading={loads.loading}
              dataSource={[...latestRate.entries()].slice(0, 6)}
              locale={{ emptyText: t("none") }}
              renderItem={([id, rate]) => (
                <List.Item extra={<Typography.Text type={rate < 0.9 ? "warning" : undefined}>{formatRate(rate)}</Typography.Text>}>
                  {distributorNames[id] ?? id}
                </List.Item>
              )}
            />
          </Panel>
        </Col>
        <Col xs={24} md={12} xl={8}>
          <Panel title={t("notifications")} error={unread.error}>
            <List
              size="small"
              loading={unread.loading}
              dataSource={unread.data?.items ?? []}
              locale={{ emptyText: t("none") }}
              renderItem={(n) => (
                <List.Item extra={<Typography.Text type="secondary">{formatDateTime(n.created_at)}</Typography.Text>}>
                  <Badge status="processing" text={n.title} />
                </List.Item>
              )}
            />
          </Panel>
        </Col>
      </Row>
    </>
  );
}
