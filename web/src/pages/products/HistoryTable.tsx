import { Table, Typography } from "antd";
import { type Schemas } from "../../api/client";
import { Pager } from "../../components/Pager";
import { ProblemAlert } from "../../components/Problem";
import { useCursorList } from "../../components/useCursorList";
import { formatDateTime } from "../../format";
import { useT } from "../../i18n";
import { m } from "./messages";

/** A record's audit trail (a HistoryPage API), newest first as the API gives it. */
export function HistoryTable({ load, deps }: { load: (cursor?: string) => Promise<Schemas["HistoryPage"]>; deps: unknown[] }) {
  const t = useT(m);
  const list = useCursorList(load, deps);
  return (
    <>
      <ProblemAlert error={list.error} />
      <Table<Schemas["ChangeEntry"]>
        rowKey="id"
        size="small"
        pagination={false}
        loading={list.loading}
        dataSource={list.items}
        scroll={{ x: 640 }}
        locale={{ emptyText: t("empty") }}
        columns={[
          { title: t("changedAt"), dataIndex: "at", width: 140, render: formatDateTime },
          { title: t("action"), dataIndex: "action", width: 100 },
          { title: t("changedBy"), dataIndex: "actor_id", width: 120 },
          {
            title: t("changes"),
            render: (_, e) => (
              <Typography.Text style={{ fontSize: 12 }}>
                {e.reason ? `${e.reason} · ` : ""}
                {Object.entries(e.changes ?? {})
                  .map(([field, value]) => `${field}: ${JSON.stringify(value)}`)
                  .join("; ") || "—"}
              </Typography.Text>
            ),
          },
        ]}
      />
      <Pager {...list} />
    </>
  );
}
