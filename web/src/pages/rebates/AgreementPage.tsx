import { EditOutlined } from "@ant-design/icons";
import { Button, Card, Descriptions, Empty, Flex, Space, Spin, Table, Tag, Typography } from "antd";
import { Link, useNavigate, useParams } from "react-router-dom";
import { api, withEtag, type Schemas } from "../../api/client";
import { ProblemAlert } from "../../components/Problem";
import { useRemote } from "../../components/useRemote";
import { useUserNames } from "../../components/useUserNames";
import { hasRole, useUser } from "../../components/UserContext";
import { formatAmount, formatDateTime, formatQty } from "../../format";
import { useLang, useT } from "../../i18n";
import { name } from "../../labels";
import { useProductNames } from "../channel/common";
import { BASES, m, MEASURES, THRESHOLDS, VERSION_COLORS, VERSION_STATUSES } from "./messages";

type Terms = Schemas["Terms"];
type Version = Schemas["AgreementVersion"];

export default function AgreementPage() {
  const { id = "" } = useParams();
  const t = useT(m);
  const { lang } = useLang();
  const user = useUser();
  const navigate = useNavigate();
  const nameOf = useUserNames();
  const found = useRemote(() => withEtag(api().GET("/agreements/{agreement_id}", { params: { path: { agreement_id: id } } })), [id]);
  if (found.loading && !found.data) return <Spin />;
  const a = found.data?.data;
  if (!a) return <ProblemAlert error={found.error} />;
  const pending = a.versions.find((v) => v.status === "pending");
  const shown = a.terms ?? a.versions[a.versions.length - 1]?.terms;
  const writer = hasRole(user, "branch_head", "hq_admin");
  return (
    <>
      <Flex justify="space-between" align="center" wrap>
        <Typography.Title level={3} style={{ marginTop: 0 }}>
          {shown?.name} · <Link to={`/customers/${a.customer_id}`}>{a.customer_name}</Link>
        </Typography.Title>
        {writer && (
          <Button
            icon={<EditOutlined />}
            disabled={Boolean(pending)}
            title={pending ? t("pending") : undefined}
            onClick={() => navigate(`/rebates/agreements/${a.id}/edit`)}
          >
            {t("newVersion")}
          </Button>
        )}
      </Flex>
      <Space style={{ marginBottom: 16 }} wrap>
        <Tag color={a.current_version ? "green" : "default"}>
          {t("inForce")}：{a.current_version ? `v${a.current_version}` : t("none")}
        </Tag>
        {pending && <Tag color="gold">{t("pending")}：v{pending.number}</Tag>}
      </Space>
      {!a.terms && <Typography.Paragraph type="secondary">{t("noTerms")}</Typography.Paragraph>}
      {shown && <TermsView terms={shown} />}
      <Card size="small" title={t("versions")} style={{ marginTop: 16 }}>
        <Table<Version>
          rowKey="number"
          size="small"
          pagination={false}
          dataSource={[...a.versions].reverse()}
          expandable={{ expandedRowRender: (v) => <TermsView terms={v.terms} /> }}
          columns={[
            { title: t("version"), dataIndex: "number", render: (n: number) => `v${n}` },
            { title: t("status"), dataIndex: "status", render: (s: string) => <Tag color={VERSION_COLORS[s] ?? "default"}>{name(VERSION_STATUSES, s, lang)}</Tag> },
            { title: t("name"), render: (_, v) => v.terms.name },
            { title: t("validity"), render: (_, v) => `${v.terms.valid_from} ~ ${v.terms.valid_to}` },
            { title: t("requestedBy"), dataIndex: "requested_by", render: (u: string) => nameOf(u) },
            { title: t("requestedAt"), dataIndex: "requested_at", render: formatDateTime },
            { title: t("approval"), dataIndex: "approval_id", render: (aid?: string | null) => (aid ? <Link to={`/approvals/${aid}`}>{t("approval")}</Link> : "—") },
          ]}
        />
      </Card>
    </>
  );
}

/** What one version says: territory, products and prices, targets, rules with their tiers and conditions. */
export function TermsView({ terms }: { terms: Terms }) {
  const t = useT(m);
  const { lang } = useLang();
  const products = useProductNames();
  const territory = [...(terms.territory?.provinces ?? []), ...(terms.territory?.cities ?? [])];
  return (
    <Flex vertical gap={12} data-testid="terms">
      <Descriptions size="small" bordered column={{ xs: 1, md: 3 }}>
        <Descriptions.Item label={t("name")}>{terms.name}</Descriptions.Item>
        <Descriptions.Item label={t("validity")}>{`${terms.valid_from} ~ ${terms.valid_to}`}</Descriptions.Item>
        <Descriptions.Item label={t("territory")}>{territory.length ? territory.join("、") : "—"}</Descriptions.Item>
      </Descriptions>
      <Card size="small" title={t("rules")}>
        {(terms.rules ?? []).length === 0 && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />}
        {(terms.rules ?? []).map((rule) => (
          <Descriptions key={rule.name} size="small" title={rule.name} column={{ xs: 1, md: 3 }} style={{ marginBottom: 12 }}>
            <Descriptions.Item label={t("group")}>{rule.group ?? t("allProducts")}</Descriptions.Item>
            <Descriptions.Item label={t("basis")}>{name(BASES, rule.basis, lang)}</Descriptions.Item>
            <Descriptions.Item label={t("measure")}>
              {name(MEASURES, rule.measure, lang)} · {t("thresholdOf")} {name(THRESHOLDS, rule.threshold_of, lang)}
            </Descriptions.Item>
            <Descriptions.Item label={t("tiers")} span={2}>
              {rule.tiers.map((tier, n) => (
                <Tag key={n}>
                  ≥ {rule.measure === "amount" && rule.threshold_of === "value" ? formatAmount(tier.threshold) : formatQty(tier.threshold)}
                  {rule.threshold_of === "target" ? "%" : ""} → {tier.percent ? `${tier.percent}%` : `${formatAmount(tier.per_unit)}/unit`}
                </Tag>
              ))}
            </Descriptions.Item>
            <Descriptions.Item label={t("cap")}>{rule.cap ? formatAmount(rule.cap) : "—"}</Descriptions.Item>
            <Descriptions.Item label={t("conditions")} span={3}>
              {[
                rule.conditions?.no_confirmed_diversion ? t("noDiversion") : null,
                rule.conditions?.max_stock_months ? `${t("maxStockMonths").replace("N", rule.conditions.max_stock_months)}` : null,
                rule.conditions?.min_match_rate ? `${t("minMatchRate")} ${Number(rule.conditions.min_match_rate) * 100}%` : null,
              ]
                .filter(Boolean)
                .join("；") || "—"}
            </Descriptions.Item>
          </Descriptions>
        ))}
      </Card>
      <Flex gap={12} wrap align="start">
        <Card size="small" title={t("products")} style={{ flex: "2 1 420px" }}>
          <Table
            rowKey="sku"
            size="small"
            pagination={terms.products.length > 10 ? { pageSize: 10 } : false}
            dataSource={terms.products}
            columns={[
              { title: t("sku"), dataIndex: "sku", render: (sku: string) => (products[sku] ? `${products[sku]}（${sku}）` : sku) },
              { title: t("group"), dataIndex: "group" },
              { title: t("price"), dataIndex: "price", align: "right", render: (p: string) => formatAmount(p) },
              { title: t("priceLevel"), dataIndex: "price_level", render: (v?: string | null) => v ?? "—" },
            ]}
          />
        </Card>
        <Card size="small" title={t("targets")} style={{ flex: "1 1 280px" }}>
          <Table
            rowKey={(x) => `${x.group}-${x.period}`}
            size="small"
            pagination={false}
            dataSource={terms.targets ?? []}
            locale={{ emptyText: t("none") }}
            columns={[
              { title: t("group"), dataIndex: "group" },
              { title: t("period"), dataIndex: "period" },
              { title: t("target"), render: (_, x) => (x.amount ? formatAmount(x.amount) : formatQty(x.quantity ?? "")) },
            ]}
          />
        </Card>
      </Flex>
    </Flex>
  );
}
