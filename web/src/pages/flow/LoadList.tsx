import { Flex, Space, Table, Tag, Typography } from "antd";
import { Link, useSearchParams } from "react-router-dom";
import { api, ok, type Schemas } from "../../api/client";
import { Pager } from "../../components/Pager";
import { ProblemAlert } from "../../components/Problem";
import { useCursorList } from "../../components/useCursorList";
import { useDistributorNames } from "../../components/useDistributors";
import { useUser } from "../../components/UserContext";
import { formatDateTime, formatRate } from "../../format";
import { useLang, useT } from "../../i18n";
import { FILE_KINDS, LOAD_STATUSES, name } from "../../labels";
import { DistributorSelect } from "../../components/filters";
import { distributorName, KindSelect, SHIPMENTS_PARTY } from "./common";
import { m } from "./messages";

type Load = Schemas["Load"];

export const STATUS_COLORS: Record<string, string> = {
  received: "default", processing: "processing", accepted: "green", accepted_with_errors: "orange",
  rejected: "red", held: "gold", superseded: "default",
};

export default function LoadList() {
  const t = useT(m);
  const { lang } = useLang();
  const names = useDistributorNames();
  const own = useUser().distributorId; // a distributor's users see only their own loads: nothing to choose
  const [params, setParams] = useSearchParams(); // filters live in the URL
  const distributorId = params.get("distributor_id") ?? undefined;
  const kind = (params.get("kind") ?? undefined) as Load["kind"] | undefined;
  const set = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const list = useCursorList<Load>(
    (cursor) => ok(api().GET("/flow-loads", { params: { query: { distributor_id: distributorId, kind, cursor, limit: 20 } } })),
    [distributorId, kind],
  );

  return (
    <>
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 16 }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t("loads")}
        </Typography.Title>
      </Flex>
      <Space wrap style={{ marginBottom: 16 }}>
        {!own && (
          <DistributorSelect
            names={names}
            label={t("distributor")}
            value={distributorId}
            onChange={(v) => set("distributor_id", v)}
            extra={[{ value: SHIPMENTS_PARTY, label: t("ourShipments") }]}
          />
        )}
        <KindSelect label={t("kind")} value={kind} onChange={(v) => set("kind", v)} />
      </Space>
      <ProblemAlert error={list.error} />
      <Table<Load>
        rowKey="id"
        size="middle"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        scroll={{ x: 1000 }}
        locale={{ emptyText: t("empty") }}
        columns={[
          ...(own ? [] : [{ title: t("distributor"), dataIndex: "distributor_id", render: (id: string) => distributorName(names, id, t("ourShipments")) }]),
          { title: t("period"), dataIndex: "period", width: 90 },
          { title: t("kind"), dataIndex: "kind", width: 90, render: (v: string) => name(FILE_KINDS, v, lang) },
          { title: t("fileName"), dataIndex: "file_name", render: (v: string, l) => <Link to={`/flow/loads/${l.id}`}>{v}</Link> },
          {
            title: t("status"),
            dataIndex: "status",
            width: 150,
            render: (v: string) => <Tag color={STATUS_COLORS[v]}>{name(LOAD_STATUSES, v, lang)}</Tag>,
          },
          {
            title: `${t("rows")} / ${t("rejected")} / ${t("matchRate")}`,
            width: 190,
            render: (_, l) =>
              l.summary ? `${l.summary.rows ?? "—"} / ${l.summary.rejected ?? "—"} / ${formatRate(l.summary.match_rate)}` : "—",
          },
          { title: t("receivedAt"), dataIndex: "received_at", width: 150, render: formatDateTime },
        ]}
      />
      <Pager pageNumber={list.pageNumber} hasNext={list.hasNext} next={list.next} previous={list.previous} />
    </>
  );
}
