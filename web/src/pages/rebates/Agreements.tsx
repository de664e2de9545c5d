import { PlusOutlined } from "@ant-design/icons";
import { Button, Flex, Table, Tag, Typography } from "antd";
import { Link, useNavigate } from "react-router-dom";
import { api, ok, type Schemas } from "../../api/client";
import { ProblemAlert } from "../../components/Problem";
import { useRemote } from "../../components/useRemote";
import { hasRole, useUser } from "../../components/UserContext";
import { useLang, useT } from "../../i18n";
import { name } from "../../labels";
import { m, VERSION_COLORS, VERSION_STATUSES } from "./messages";

type Agreement = Schemas["Agreement"];

/** The agreements in the caller's scope (a distributor user: its own), or one customer's. */
export default function Agreements() {
  const t = useT(m);
  const user = useUser();
  const navigate = useNavigate();
  const writer = hasRole(user, "branch_head", "hq_admin");
  return (
    <>
      <Flex justify="space-between" align="center">
        <Typography.Title level={3} style={{ marginTop: 0 }}>{t("agreements")}</Typography.Title>
        {writer && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate("/rebates/agreements/new")}>
            {t("newAgreement")}
          </Button>
        )}
      </Flex>
      <AgreementTable />
    </>
  );
}

export function AgreementTable({ customerId }: { customerId?: string }) {
  const t = useT(m);
  const { lang } = useLang();
  const list = useRemote(() => ok(api().GET("/agreements", { params: { query: { customer_id: customerId } } })), [customerId]);
  return (
    <>
      <ProblemAlert error={list.error} />
      <Table<Agreement>
        rowKey="id"
        size="small"
        loading={list.loading}
        dataSource={list.data?.items ?? []}
        pagination={false}
        locale={{ emptyText: t("empty") }}
        columns={[
          ...(customerId ? [] : [{ title: t("customer"), dataIndex: "customer_name", render: (v: string, a: Agreement) => <Link to={`/customers/${a.customer_id}`}>{v}</Link> }]),
          {
            title: t("name"),
            render: (_, a) => <Link to={`/rebates/agreements/${a.id}`}>{a.terms?.name ?? a.versions[a.versions.length - 1]?.terms.name}</Link>,
          },
          { title: t("validity"), render: (_, a) => { const terms = a.terms ?? a.versions[a.versions.length - 1]?.terms; return terms ? `${terms.valid_from} ~ ${terms.valid_to}` : "—"; } },
          { title: t("inForce"), render: (_, a) => (a.current_version ? `v${a.current_version}` : t("none")) },
          {
            title: t("versions"),
            render: (_, a) => (
              <Flex gap={4} wrap>
                {a.versions.map((v) => (
                  <Tag key={v.number} color={VERSION_COLORS[v.status] ?? "default"}>
                    v{v.number} {name(VERSION_STATUSES, v.status, lang)}
                  </Tag>
                ))}
              </Flex>
            ),
          },
        ]}
      />
    </>
  );
}
