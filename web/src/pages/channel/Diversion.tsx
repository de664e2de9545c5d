import { Alert, App, Button, Card, List, Space, Table, Typography } from "antd";
import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { api, ApiProblem, ok, type Schemas } from "../../api/client";
import { ProblemAlert } from "../../components/Problem";
import { useDistributorNames } from "../../components/useDistributors";
import { useRemote } from "../../components/useRemote";
import { useT } from "../../i18n";
import { DistributorSelect, lastMonth, MonthPicker, useUrlFilters } from "../../components/filters";
import { EvidenceTable, num, useProductNames } from "./common";
import { m } from "./messages";

type Crossing = Schemas["BatchCrossing"];
type Outside = Schemas["OutOfTerritory"];

/** Opens a diversion case (窜货案件) from a signal and goes to it; a signal that has one already goes to that one. */
function OpenCase({ body }: { body: Schemas["CaseIn"] }) {
  const t = useT(m);
  const navigate = useNavigate();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  async function open() {
    setBusy(true);
    try {
      const created = await ok(api().POST("/diversion-cases", { body }));
      navigate(`/rebates/cases/${created.id}`);
    } catch (err) {
      const existing = err instanceof ApiProblem ? (err.problem.case_id as string | undefined) : undefined;
      if (existing) navigate(`/rebates/cases/${existing}`);
      else message.error(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Button size="small" loading={busy} onClick={open}>
      {t("openCase")}
    </Button>
  );
}

export default function Diversion() {
  const t = useT(m);
  const filters = useUrlFilters();
  const names = useDistributorNames();
  const products = useProductNames();
  const period = filters.get("period") ?? lastMonth();
  const distributorId = filters.get("distributor_id");
  const report = useRemote(
    () => ok(api().GET("/diversion-signals", { params: { query: { period, distributor_id: distributorId } } })),
    [period, distributorId],
  );
  const r = report.data;
  const distributor = (id: string) => names[id] ?? id;
  const productName = (sku: string) => (products[sku] ? `${products[sku]}（${sku}）` : sku);

  return (
    <>
      <Typography.Title level={3} style={{ marginTop: 0 }}>{t("diversion")}</Typography.Title>
      <Space wrap style={{ marginBottom: 16 }}>
        <MonthPicker label={t("month")} value={period} onChange={(v) => filters.set("period", v)} />
        <DistributorSelect names={names} label={t("distributor")} value={distributorId} onChange={(v) => filters.set("distributor_id", v)} />
        {r && <Typography.Text type="secondary">{t("shipmentWindow", { months: r.shipment_window.join("、") })}</Typography.Text>}
      </Space>
      <ProblemAlert error={report.error} />
      {r && r.batch_crossings.length === 0 && r.out_of_territory.length === 0 && (
        <Alert type="success" showIcon title={t("noSignals")} style={{ marginBottom: 16 }} />
      )}
      <Card size="small" title={`${t("batchCrossings")}（${r?.batch_crossings.length ?? 0}）`} style={{ marginBottom: 16 }}>
        <Table<Crossing>
          rowKey={(c) => `${c.found_in}-${c.sku}-${c.batch}`}
          size="small"
          loading={report.loading}
          dataSource={r?.batch_crossings ?? []}
          pagination={false}
          scroll={{ x: 1000 }}
          locale={{ emptyText: t("empty") }}
          expandable={{ expandedRowRender: (c) => <EvidenceTable rows={c.evidence} total={c.evidence_total} productName={productName} /> }}
          columns={[
            { title: t("foundIn"), dataIndex: "found_in", render: distributor },
            { title: t("sku"), dataIndex: "sku", render: productName },
            { title: t("batch"), dataIndex: "batch", width: 120 },
            { title: t("shippedTo"), dataIndex: "shipped_to", render: (ids: string[]) => ids.map(distributor).join("、") },
            { title: t("shippedQty"), dataIndex: "shipped_quantity", width: 110, align: "right", render: num },
            { title: t("soldQty"), dataIndex: "quantity", width: 100, align: "right", render: num },
            { title: t("rows"), dataIndex: "rows", width: 70, align: "right" },
            {
              title: "",
              width: 90,
              render: (_, c) => <OpenCase body={{ period, signal: "batch_crossing", distributor_id: c.found_in, sku: c.sku, batch: c.batch }} />,
            },
          ]}
        />
      </Card>
      <Card size="small" title={`${t("outOfTerritory")}（${r?.out_of_territory.length ?? 0}）`} style={{ marginBottom: 16 }}>
        <Table<Outside>
          rowKey={(o) => `${o.distributor_id}-${o.customer_id}`}
          size="small"
          loading={report.loading}
          dataSource={r?.out_of_territory ?? []}
          pagination={false}
          scroll={{ x: 1000 }}
          locale={{ emptyText: t("empty") }}
          expandable={{ expandedRowRender: (o) => <EvidenceTable rows={o.evidence} total={o.evidence_total} productName={productName} /> }}
          columns={[
            { title: t("distributor"), dataIndex: "distributor_id", render: distributor },
            { title: t("buyer"), render: (_, o) => <Link to={`/customers/${o.customer_id}`}>{o.customer_name}</Link> },
            { title: t("region"), render: (_, o) => [o.region.province, o.region.city, o.region.county].filter(Boolean).join(" ") || "—" },
            { title: t("territory"), render: (_, o) => [...(o.territory.provinces ?? []), ...(o.territory.cities ?? [])].join("、") || "—" },
            { title: t("soldQty"), dataIndex: "quantity", width: 100, align: "right", render: num },
            { title: t("rows"), dataIndex: "rows", width: 70, align: "right" },
            {
              title: "",
              width: 90,
              render: (_, o) => <OpenCase body={{ period, signal: "out_of_territory", distributor_id: o.distributor_id, customer_id: o.customer_id }} />,
            },
          ]}
        />
      </Card>
      {r && (r.skipped.length > 0 || r.unjudged.length > 0) && (
        <Space align="start" wrap style={{ width: "100%" }}>
          {r.skipped.length > 0 && (
            <Card size="small" title={t("skipped")} style={{ minWidth: 320 }}>
              <List size="small" dataSource={r.skipped} renderItem={(s) => <List.Item>{distributor(s.distributor_id)}：{s.reason}</List.Item>} />
            </Card>
          )}
          {r.unjudged.length > 0 && (
            <Card size="small" title={t("unjudged")} style={{ minWidth: 320 }}>
              <List
                size="small"
                dataSource={r.unjudged}
                renderItem={(u) => (
                  <List.Item>
                    {distributor(u.distributor_id)}：{t("unmatchedRows")} {u.unmatched_rows} · {t("unknownRegionRows")} {u.unknown_region_rows}
                  </List.Item>
                )}
              />
            </Card>
          )}
        </Space>
      )}
    </>
  );
}
