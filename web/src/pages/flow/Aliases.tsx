import { App, Button, Popconfirm, Space, Table, Typography } from "antd";
import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { api, ok, type Schemas } from "../../api/client";
import { Pager } from "../../components/Pager";
import { ProblemAlert } from "../../components/Problem";
import { useCursorList } from "../../components/useCursorList";
import { useDistributorNames } from "../../components/useDistributors";
import { formatDateTime } from "../../format";
import { useT } from "../../i18n";
import { DistributorSelect } from "../../components/filters";
import { m } from "./messages";

type FlowAlias = Schemas["FlowAlias"];

export default function Aliases() {
  const t = useT(m);
  const { message } = App.useApp();
  const names = useDistributorNames();
  const [params, setParams] = useSearchParams();
  const distributorId = params.get("distributor_id") ?? undefined;
  const [error, setError] = useState<unknown>();
  const list = useCursorList<FlowAlias>(
    (cursor) =>
      distributorId
        ? ok(api().GET("/flow-aliases/{distributor_id}", { params: { path: { distributor_id: distributorId }, query: { cursor, limit: 50 } } }))
        : Promise.resolve({ items: [] }),
    [distributorId],
  );

  async function remove(alias: FlowAlias) {
    setError(undefined);
    try {
      await ok(
        api().DELETE("/flow-aliases/{distributor_id}/{name}", {
          params: { path: { distributor_id: alias.distributor_id, name: alias.name }, header: { "if-match": `"${alias.version}"` } },
        }),
      );
      message.success(t("deleted"));
      list.reload();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <>
      <Typography.Title level={3} style={{ marginTop: 0 }}>{t("aliases")}</Typography.Title>
      <Space wrap style={{ marginBottom: 16 }}>
        <DistributorSelect
          names={names}
          label={t("distributor")}
          value={distributorId}
          allowClear={false}
          onChange={(v) => setParams(v ? { distributor_id: v } : {}, { replace: true })}
        />
      </Space>
      <ProblemAlert error={list.error ?? error} onClose={error ? () => setError(undefined) : undefined} />
      <Table<FlowAlias>
        rowKey="id"
        size="middle"
        loading={list.loading && !!distributorId}
        dataSource={list.items}
        pagination={false}
        scroll={{ x: 800 }}
        locale={{ emptyText: distributorId ? t("empty") : t("pickDistributor") }}
        columns={[
          { title: t("aliasName"), dataIndex: "name" },
          { title: t("customer"), dataIndex: "customer_id", render: (id: string) => <CustomerName id={id} /> },
          { title: t("confirmedBy"), dataIndex: "confirmed_by", width: 140 },
          { title: t("confirmedAt"), dataIndex: "confirmed_at", width: 150, render: formatDateTime },
          {
            title: t("actions"),
            width: 100,
            render: (_, alias) => (
              <Popconfirm title={t("deleteConfirm", { name: alias.name })} onConfirm={() => remove(alias)}>
                <Button size="small" danger>
                  {t("delete")}
                </Button>
              </Popconfirm>
            ),
          },
        ]}
      />
      <Pager pageNumber={list.pageNumber} hasNext={list.hasNext} next={list.next} previous={list.previous} />
    </>
  );
}

const customerNames = new Map<string, Promise<string>>();

/** The customer an alias means, by name (one GET per customer, shared by the rows naming it). */
function CustomerName({ id }: { id: string }) {
  const [label, setLabel] = useState<string>();
  useEffect(() => {
    let live = true;
    if (!customerNames.has(id))
      customerNames.set(
        id,
        ok(api().GET("/customers/{customer_id}", { params: { path: { customer_id: id } } }))
          .then((c) => c.name)
          .catch(() => id),
      );
    void customerNames.get(id)?.then((n) => live && setLabel(n));
    return () => {
      live = false;
    };
  }, [id]);
  return <Link to={`/customers/${id}`}>{label ?? id}</Link>;
}
