import { Flex, Table, Tag, Typography } from "antd";
import { Link } from "react-router-dom";
import { api, ok, type Schemas } from "../../api/client";
import { ExportButton } from "../../components/ExportButton";
import { Pager } from "../../components/Pager";
import { ProblemAlert } from "../../components/Problem";
import { useCursorList } from "../../components/useCursorList";
import { formatAmount, formatDateTime } from "../../format";
import { useLang, useT } from "../../i18n";
import { APPROVAL_KINDS, name } from "../../labels";
import { useUserNames } from "../orders/common";
import { APPROVER_ROLES } from "./common";
import { m } from "./messages";

type Entry = Schemas["InboxEntry"];

export default function Inbox() {
  const t = useT(m);
  const { lang } = useLang();
  const who = useUserNames();
  const list = useCursorList<Entry>((cursor) => ok(api().GET("/approvals/inbox", { params: { query: { cursor, limit: 20 } } })), []);
  return (
    <>
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 16 }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t("inbox")}
        </Typography.Title>
        <ExportButton list="approvals" filters={{}} />
      </Flex>
      <ProblemAlert error={list.error} />
      <Table<Entry>
        rowKey={(e) => `${e.approval_id}-${e.step}-${e.on_behalf_of ?? ""}`}
        size="middle"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        scroll={{ x: 960 }}
        locale={{ emptyText: t("empty") }}
        columns={[
          { title: t("kind"), dataIndex: "kind", width: 110, render: (v: string) => <Tag>{name(APPROVAL_KINDS, v, lang)}</Tag> },
          { title: t("subject"), dataIndex: "subject_label", render: (v: string, e) => <Link to={`/approvals/${e.approval_id}`}>{v}</Link> },
          { title: t("amount"), dataIndex: "amount", width: 130, align: "right", render: (v?: string | null) => formatAmount(v) },
          { title: t("submittedBy"), dataIndex: "submitted_by", width: 120, render: (v: string) => who(v) },
          { title: t("submittedAt"), dataIndex: "created_at", width: 150, render: formatDateTime },
          {
            title: t("step"),
            key: "step",
            width: 200,
            render: (_, e) => (
              <>
                {t("stepN", { n: e.step + 1, role: name(APPROVER_ROLES, e.role, lang) })}
                {e.on_behalf_of && (
                  <Tag color="purple" style={{ marginLeft: 6 }}>
                    {t("onBehalfOf", { who: who(e.on_behalf_of) })}
                  </Tag>
                )}
              </>
            ),
          },
          { title: t("actions"), key: "open", width: 80, render: (_, e) => <Link to={`/approvals/${e.approval_id}`}>{t("open")}</Link> },
        ]}
      />
      <Pager pageNumber={list.pageNumber} hasNext={list.hasNext} next={list.next} previous={list.previous} />
    </>
  );
}
