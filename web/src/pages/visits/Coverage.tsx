import { Card, Checkbox, Col, DatePicker, Descriptions, Flex, Row, Space, Table, Tag, Typography } from "antd";
import dayjs from "dayjs";
import { useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { api, ok, type Schemas } from "../../api/client";
import { OrgUnitSelect } from "../../components/OrgUnitSelect";
import { ProblemAlert } from "../../components/Problem";
import { useRemote } from "../../components/useRemote";
import { hasRole, useUser } from "../../components/UserContext";
import { UserSelect } from "../../components/UserSelect";
import { thisMonth } from "../../format";
import { useT } from "../../i18n";
import { MANAGERS } from "../../modules";
import { m } from "./messages";

type Total = Schemas["CoverageTotal"];
type CoverageRow = Schemas["CoverageRow"];

const percent = (v: string | null | undefined) => (v === null || v === undefined ? "—" : `${v}%`);

export default function Coverage() {
  const t = useT(m);
  const user = useUser();
  const manager = hasRole(user, ...MANAGERS);
  const [params, setParams] = useSearchParams();
  const month = params.get("month") ?? thisMonth();
  const unit = params.get("unit") ?? undefined;
  const repId = params.get("rep_id") ?? undefined;
  const [uncoveredOnly, setUncoveredOnly] = useState(false);
  const set = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const report = useRemote(() => ok(api().GET("/visits/coverage", { params: { query: { month, org_unit_id: unit, rep_id: repId } } })), [month, unit, repId]);
  const data = report.data;
  const totalColumns = (first: string) => [
    { title: first, dataIndex: "name", render: (v: string, r: Total) => v || r.key },
    { title: t("customers"), dataIndex: "customers", align: "right" as const },
    { title: t("required"), dataIndex: "required", align: "right" as const },
    { title: t("plannedCount"), dataIndex: "planned", align: "right" as const },
    { title: t("doneCount"), dataIndex: "done", align: "right" as const },
    { title: t("coveredCustomers"), dataIndex: "covered_customers", align: "right" as const },
    { title: t("coverageRate"), dataIndex: "coverage_percent", align: "right" as const, render: percent },
  ];

  return (
    <>
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 16 }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t("coverage")}
        </Typography.Title>
        <Link to={`/visits?month=${month}`}>{t("visits")}</Link>
      </Flex>
      <Space wrap style={{ marginBottom: 16 }}>
        <DatePicker picker="month" aria-label={t("month")} allowClear={false} value={dayjs(`${month}-01`)} onChange={(d) => d && set("month", d.format("YYYY-MM"))} />
        {manager && <OrgUnitSelect placeholder={t("allUnits")} value={unit} onChange={(v) => set("unit", v)} style={{ width: 220 }} />}
        {manager && <UserSelect placeholder={t("allReps")} value={repId} onChange={(v) => set("rep_id", v)} />}
      </Space>
      <ProblemAlert error={report.error} />
      {data && (
        <Descriptions bordered size="small" column={{ xs: 2, md: 4 }} style={{ marginBottom: 16 }} data-testid="coverage-total">
          <Descriptions.Item label={t("frequency")}>
            {Object.entries(data.frequency)
              .map(([level, n]) => `${level}: ${n}`)
              .join(" · ") || "—"}
          </Descriptions.Item>
          <Descriptions.Item label={t("customers")}>{data.total.customers}</Descriptions.Item>
          <Descriptions.Item label={`${t("required")} / ${t("plannedCount")} / ${t("doneCount")}`}>
            {`${data.total.required} / ${data.total.planned} / ${data.total.done}`}
          </Descriptions.Item>
          <Descriptions.Item label={t("coverageRate")}>
            <Typography.Text strong>{percent(data.total.coverage_percent)}</Typography.Text>
          </Descriptions.Item>
        </Descriptions>
      )}
      <Row gutter={16}>
        <Col xs={24} xxl={14}>
          <Card size="small" title={t("byRep")} style={{ marginBottom: 16 }}>
            <Table<Total> rowKey="key" size="small" pagination={false} loading={report.loading} dataSource={data?.by_rep ?? []} columns={totalColumns(t("rep"))} scroll={{ x: 560 }} locale={{ emptyText: t("empty") }} />
          </Card>
        </Col>
        <Col xs={24} xxl={10}>
          <Card size="small" title={t("byLevel")} style={{ marginBottom: 16 }}>
            <Table<Total> rowKey="key" size="small" pagination={false} loading={report.loading} dataSource={data?.by_level ?? []} columns={totalColumns(t("level"))} scroll={{ x: 560 }} locale={{ emptyText: t("empty") }} />
          </Card>
        </Col>
      </Row>
      <Card
        size="small"
        title={t("detail")}
        extra={
          <Checkbox checked={uncoveredOnly} onChange={(e) => setUncoveredOnly(e.target.checked)}>
            {t("onlyUncovered")}
          </Checkbox>
        }
      >
        <Table<CoverageRow>
          rowKey={(r) => `${r.rep_id}#${r.customer_id}`}
          size="small"
          loading={report.loading}
          dataSource={(data?.rows ?? []).filter((r) => !uncoveredOnly || !r.covered)}
          pagination={{ pageSize: 50, showSizeChanger: false }}
          scroll={{ x: 760 }}
          locale={{ emptyText: t("empty") }}
          columns={[
            { title: t("rep"), dataIndex: "rep_name", width: 110 },
            { title: t("customer"), dataIndex: "customer_name", render: (v: string, r) => <Link to={`/customers/${r.customer_id}`}>{v}</Link> },
            { title: t("level"), dataIndex: "level", width: 70, render: (v?: string | null) => v ?? t("levelNone") },
            { title: t("required"), dataIndex: "required", width: 80, align: "right" },
            { title: t("plannedCount"), dataIndex: "planned", width: 80, align: "right" },
            { title: t("doneCount"), dataIndex: "done", width: 80, align: "right" },
            { title: t("state"), dataIndex: "covered", width: 100, render: (v: boolean) => (v ? <Tag color="green">{t("covered")}</Tag> : <Tag color="red">{t("notCovered")}</Tag>) },
          ]}
        />
      </Card>
    </>
  );
}
