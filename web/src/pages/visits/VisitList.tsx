import { CalendarOutlined, PieChartOutlined, SettingOutlined } from "@ant-design/icons";
import { Button, Checkbox, DatePicker, Flex, Select, Space, Table, Tag, Typography } from "antd";
import dayjs from "dayjs";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { api, ok, type Schemas } from "../../api/client";
import { ExportButton } from "../../components/ExportButton";
import { Pager } from "../../components/Pager";
import { ProblemAlert } from "../../components/Problem";
import { useCursorList } from "../../components/useCursorList";
import { hasRole, useUser } from "../../components/UserContext";
import { UserSelect } from "../../components/UserSelect";
import { formatDate, formatDateTime, thisMonth } from "../../format";
import { useLang, useT } from "../../i18n";
import { name, options, VISIT_STATES } from "../../labels";
import { MANAGERS } from "../../modules";
import { useUserNames } from "../../components/useUserNames";
import { stateColor } from "./common";
import { m } from "./messages";

type Visit = Schemas["Visit"];
type State = Schemas["VisitState"];

export default function VisitList() {
  const t = useT(m);
  const { lang } = useLang();
  const user = useUser();
  const navigate = useNavigate();
  const manager = hasRole(user, ...MANAGERS);
  const nameOf = useUserNames();
  const [params, setParams] = useSearchParams();
  const on = params.get("on") ?? undefined;
  const month = on ? undefined : (params.get("month") ?? thisMonth()); // a day, or else a month
  const repId = params.get("rep_id") ?? undefined;
  const state = (params.get("state") ?? undefined) as State | undefined;
  const flagged = params.get("flagged") === "true" ? true : undefined;
  const set = (changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setParams(next, { replace: true });
  };
  const filters = { month, on, rep_id: repId, state, flagged };
  const list = useCursorList<Visit>((cursor) => ok(api().GET("/visits", { params: { query: { ...filters, cursor, limit: 50 } } })), [params.toString()]);

  return (
    <>
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 16 }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t("visits")}
        </Typography.Title>
        <Space wrap>
          <ExportButton list="visits" filters={filters} />
          <Button icon={<PieChartOutlined />} onClick={() => navigate(`/visits/coverage?month=${month ?? on?.slice(0, 7) ?? thisMonth()}`)}>
            {t("coverage")}
          </Button>
          {hasRole(user, "hq_admin") && (
            <Button icon={<SettingOutlined />} onClick={() => navigate("/visits/policy")}>
              {t("policy")}
            </Button>
          )}
          {hasRole(user, "rep", ...MANAGERS) && (
            <Button type="primary" icon={<CalendarOutlined />} onClick={() => navigate("/visits/plan")}>
              {t("planVisits")}
            </Button>
          )}
        </Space>
      </Flex>
      <Space wrap style={{ marginBottom: 16 }}>
        <DatePicker picker="month" aria-label={t("month")} placeholder={t("month")} value={month ? dayjs(`${month}-01`) : null} onChange={(d) => set({ month: d?.format("YYYY-MM"), on: undefined })} />
        <DatePicker aria-label={t("day")} placeholder={t("day")} value={on ? dayjs(on) : null} onChange={(d) => set({ on: d?.format("YYYY-MM-DD"), month: undefined })} />
        {manager && <UserSelect placeholder={t("rep")} value={repId} onChange={(v) => set({ rep_id: v })} />}
        <Select aria-label={t("state")} placeholder={t("state")} allowClear value={state} options={options(VISIT_STATES, lang)} onChange={(v) => set({ state: v })} style={{ width: 120 }} />
        <Checkbox checked={flagged ?? false} onChange={(e) => set({ flagged: e.target.checked ? "true" : undefined })}>
          {t("flagged")}
        </Checkbox>
      </Space>
      <ProblemAlert error={list.error} />
      <Table<Visit>
        rowKey="id"
        size="middle"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        scroll={{ x: 980 }}
        locale={{ emptyText: t("empty") }}
        columns={[
          { title: t("day"), dataIndex: "day", width: 110, render: (v: string, visit) => <Link to={`/visits/${visit.id}`}>{formatDate(v)}</Link> },
          { title: t("sequence"), dataIndex: "sequence", width: 60, align: "right", render: (v?: number | null) => v ?? "—" },
          {
            title: t("customer"),
            dataIndex: "customer_name",
            render: (v: string, visit) => (
              <Space size={4}>
                <Link to={`/visits/${visit.id}`}>{v}</Link>
                {visit.customer_level && <Tag color="gold">{visit.customer_level}</Tag>}
              </Space>
            ),
          },
          { title: t("rep"), dataIndex: "rep_id", width: 110, render: (v: string) => nameOf(v) },
          {
            title: t("state"),
            dataIndex: "state",
            width: 150,
            render: (v: string, visit) => (
              <Space size={4}>
                <Tag color={stateColor(v)}>{name(VISIT_STATES, v, lang)}</Tag>
                {visit.flagged && <Tag color="red">{t("flag")}</Tag>}
              </Space>
            ),
          },
          { title: t("checkIn"), width: 150, render: (_, visit) => formatDateTime(visit.check_in?.at) },
          { title: t("checkOut"), width: 150, render: (_, visit) => formatDateTime(visit.check_out?.at) },
          { title: t("purpose"), dataIndex: "purpose", width: 180, ellipsis: true, render: (v?: string | null) => v ?? "—" },
        ]}
      />
      <Pager pageNumber={list.pageNumber} hasNext={list.hasNext} next={list.next} previous={list.previous} />
    </>
  );
}
