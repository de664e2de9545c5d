import { DownloadOutlined } from "@ant-design/icons";
import { Button, DatePicker, Flex, Segmented, Space, Table, Typography } from "antd";
import dayjs from "dayjs";
import { useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { api, download, ok, type Schemas } from "../../api/client";
import { OrgUnitSelect } from "../../components/OrgUnitSelect";
import { ProblemAlert } from "../../components/Problem";
import { useRemote } from "../../components/useRemote";
import { formatAmount, formatQty, thisMonth } from "../../format";
import { useT } from "../../i18n";
import { m } from "./messages";

type Row = Schemas["ReportRow"];
type GroupBy = Schemas["GroupBy"];

const percent = (v: string | null | undefined) => (v === null || v === undefined ? "—" : `${v}%`);

export default function PlanReport() {
  const t = useT(m);
  const [params, setParams] = useSearchParams();
  const month = params.get("month") ?? thisMonth();
  const groupBy = (params.get("group_by") ?? "product") as GroupBy;
  const unit = params.get("unit") ?? undefined;
  const [exportError, setExportError] = useState<unknown>();
  const [exporting, setExporting] = useState(false);
  const set = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const query = { month, group_by: groupBy, org_unit_id: unit };
  const report = useRemote(() => ok(api().GET("/plans/report", { params: { query } })), [month, groupBy, unit]);

  async function exportXlsx() {
    setExporting(true);
    setExportError(undefined);
    const search = new URLSearchParams({ month, group_by: groupBy, ...(unit ? { org_unit_id: unit } : {}) });
    try {
      await download(`/plans/report.xlsx?${search}`, `计划达成-${month}.xlsx`);
    } catch (err) {
      setExportError(err);
    } finally {
      setExporting(false);
    }
  }

  const total = report.data?.total;
  return (
    <>
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 16 }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t("reportTitle")}
        </Typography.Title>
        <Space wrap>
          <Link to={`/plans?month=${month}${unit ? `&unit=${unit}` : ""}`}>{t("backToPlans")}</Link>
          <Button icon={<DownloadOutlined />} loading={exporting} onClick={() => void exportXlsx()}>
            {t("export")}
          </Button>
        </Space>
      </Flex>
      <Space wrap style={{ marginBottom: 16 }}>
        <DatePicker picker="month" aria-label={t("month")} allowClear={false} value={dayjs(`${month}-01`)} onChange={(d) => d && set("month", d.format("YYYY-MM"))} />
        <OrgUnitSelect placeholder={t("allUnits")} value={unit} onChange={(v) => set("unit", v)} style={{ width: 240 }} />
        <Segmented<GroupBy>
          aria-label={t("groupBy")}
          value={groupBy}
          onChange={(v) => set("group_by", v)}
          options={[
            { value: "product", label: t("byProduct") },
            { value: "customer", label: t("byCustomer") },
            { value: "org_unit", label: t("byOrgUnit") },
          ]}
        />
      </Space>
      <ProblemAlert error={report.error ?? exportError} />
      <Table<Row>
        rowKey={(r) => r.key ?? "-"}
        size="middle"
        loading={report.loading}
        dataSource={report.data?.rows ?? []}
        pagination={false}
        scroll={{ x: 760 }}
        locale={{ emptyText: t("empty") }}
        columns={[
          { title: t("label"), dataIndex: "label", render: (v: string, r) => (r.key && r.key !== v ? `${v}（${r.key}）` : v) },
          { title: t("planQty"), dataIndex: "plan_quantity", width: 130, align: "right", render: formatQty },
          { title: t("actualQty"), dataIndex: "actual_quantity", width: 130, align: "right", render: formatQty },
          { title: t("actualAmount"), dataIndex: "actual_amount", width: 160, align: "right", render: (v: string) => formatAmount(v) },
          { title: t("attainment"), dataIndex: "attainment_percent", width: 110, align: "right", render: percent },
        ]}
        summary={() =>
          total && (
            <Table.Summary.Row>
              <Table.Summary.Cell index={0}>
                <Typography.Text strong>{total.label}</Typography.Text>
              </Table.Summary.Cell>
              <Table.Summary.Cell index={1} align="right">
                <Typography.Text strong>{formatQty(total.plan_quantity)}</Typography.Text>
              </Table.Summary.Cell>
              <Table.Summary.Cell index={2} align="right">
                <Typography.Text strong>{formatQty(total.actual_quantity)}</Typography.Text>
              </Table.Summary.Cell>
              <Table.Summary.Cell index={3} align="right">
                <Typography.Text strong>{formatAmount(total.actual_amount)}</Typography.Text>
              </Table.Summary.Cell>
              <Table.Summary.Cell index={4} align="right">
                <Typography.Text strong>{percent(total.attainment_percent)}</Typography.Text>
              </Table.Summary.Cell>
            </Table.Summary.Row>
          )
        }
      />
      {report.data && (
        <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
          {t("basis", { basis: report.data.actual_basis })}
        </Typography.Paragraph>
      )}
    </>
  );
}
