import { App, Alert, Button, Card, Checkbox, Flex, Form, Input, Modal, Select, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { api, ApiProblem, ok, withEtag, type Schemas } from "../../api/client";
import { Pager } from "../../components/Pager";
import { ProblemAlert } from "../../components/Problem";
import { useCursorList } from "../../components/useCursorList";
import { useDistributorNames } from "../../components/useDistributors";
import { useUser } from "../../components/UserContext";
import { formatQty, formatRate } from "../../format";
import { useLang, useT } from "../../i18n";
import { options, TERMINAL_KINDS } from "../../labels";
import { DistributorSelect } from "../../components/filters";
import { m } from "./messages";

type Review = Schemas["Review"];
type Candidate = Schemas["ReviewCandidate"];

export default function ReviewQueue() {
  const t = useT(m);
  const names = useDistributorNames();
  const readOnly = useUser().roles.includes("distributor"); // a distributor sees its names wait; the office decides
  const [params, setParams] = useSearchParams();
  const distributorId = params.get("distributor_id") ?? undefined;
  const loadId = params.get("load_id") ?? undefined;
  const [aliasError, setAliasError] = useState<{ error: unknown; spelling: string; name: string }>();
  const set = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    if (key === "distributor_id") next.delete("load_id");
    setParams(next, { replace: true });
  };
  const list = useCursorList<Review>(
    (cursor) => ok(api().GET("/flow-reviews", { params: { query: { distributor_id: distributorId, cursor, limit: 20 } } })),
    [distributorId],
  );
  const items = loadId ? list.items.filter((r) => r.load_ids.includes(loadId)) : list.items;

  return (
    <>
      <Typography.Title level={3} style={{ marginTop: 0 }}>{t("reviews")}</Typography.Title>
      <Space wrap style={{ marginBottom: 12 }}>
        <DistributorSelect names={names} label={t("distributor")} value={distributorId} onChange={(v) => set("distributor_id", v)} />
        {loadId && (
          <Tag closable onClose={() => set("load_id", undefined)}>
            {t("loadsOf")}: <Link to={`/flow/loads/${loadId}`}>{loadId}</Link>
          </Tag>
        )}
      </Space>
      <Typography.Paragraph type="secondary">{t("queueHint")}</Typography.Paragraph>
      <ProblemAlert error={list.error} />
      {aliasError !== undefined && (
        <Alert
          type="warning"
          showIcon
          closable={{ onClose: () => setAliasError(undefined) }}
          role="alert"
          data-testid="alias-error"
          style={{ marginBottom: 16 }}
          title={t("aliasFailed", { spelling: aliasError.spelling, name: aliasError.name })}
          description={aliasError.error instanceof ApiProblem ? aliasError.error.problem.detail || aliasError.error.problem.title : String(aliasError.error)}
        />
      )}
      {!list.loading && items.length === 0 && <Typography.Text type="secondary">{t("empty")}</Typography.Text>}
      {readOnly ? (
        <WaitingNames items={items} loading={list.loading} />
      ) : (
      <Space orientation="vertical" style={{ width: "100%" }} size={12}>
        {items.map((review) => (
          <ReviewCard
            key={review.id}
            review={review}
            distributor={names[review.distributor_id] ?? review.distributor_id}
            onDecided={list.reload}
            onAliasError={setAliasError}
          />
        ))}
      </Space>
      )}
      <Pager pageNumber={list.pageNumber} hasNext={list.hasNext} next={list.next} previous={list.previous} />
    </>
  );
}

/** A distributor's own names waiting for the office to say who they are (no candidates: those are not its to see). */
function WaitingNames({ items, loading }: { items: Review[]; loading: boolean }) {
  const t = useT(m);
  return (
    <Table<Review>
      rowKey="id"
      size="small"
      loading={loading}
      pagination={false}
      dataSource={items}
      scroll={{ x: 480 }}
      columns={[
        { title: t("buyerName"), dataIndex: "buyer_name" },
        { title: t("rows"), dataIndex: "row_count", width: 90, align: "right" },
        { title: t("quantity"), dataIndex: "base_quantity", width: 120, align: "right", render: (v: number) => formatQty(v) },
      ]}
    />
  );
}

function ReviewCard(props: { review: Review; distributor: string; onDecided: () => void; onAliasError: (failure: { error: unknown; spelling: string; name: string }) => void }) {
  const { review } = props;
  const t = useT(m);
  const { lang } = useLang();
  const { message } = App.useApp();
  const [alsoAlias, setAlsoAlias] = useState(false);
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [newTerminal, setNewTerminal] = useState(false);
  const [form] = Form.useForm();

  async function confirm(candidate: Candidate) {
    setBusy(candidate.customer_id);
    setError(undefined);
    try {
      await ok(api().POST("/flow-reviews/{review_id}/decision", { params: { path: { review_id: review.id } }, body: { customer_id: candidate.customer_id } }));
      message.success(t("decided", { name: candidate.name }));
      if (alsoAlias) await addAlias(candidate);
      props.onDecided();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(undefined);
    }
  }

  /** The spelling becomes an alias on the customer itself (every distributor's files), with its ETag. */
  async function addAlias(candidate: Candidate) {
    try {
      const path = { customer_id: candidate.customer_id };
      const { data, etag } = await withEtag(api().GET("/customers/{customer_id}", { params: { path } }));
      const aliases = data.aliases ?? [];
      if (aliases.includes(review.buyer_name) || data.name === review.buyer_name) return;
      await ok(api().PATCH("/customers/{customer_id}", { params: { path, header: { "if-match": etag } }, body: { aliases: [...aliases, review.buyer_name] } }));
      message.success(t("aliasAdded", { name: candidate.name }));
    } catch (err) {
      props.onAliasError({ error: err, spelling: review.buyer_name, name: candidate.name });
    }
  }

  async function createTerminal() {
    const values = await form.validateFields();
    setBusy("new");
    setError(undefined);
    try {
      await ok(
        api().POST("/flow-reviews/{review_id}/decision", {
          params: { path: { review_id: review.id } },
          body: { new_terminal: { kind: values.kind, city: values.city?.trim() || null } },
        }),
      );
      message.success(t("terminalCreated"));
      setNewTerminal(false);
      props.onDecided();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(undefined);
    }
  }

  return (
    <Card
      size="small"
      data-testid="review"
      title={
        <Space wrap>
          <Typography.Text strong>{review.buyer_name}</Typography.Text>
          <Typography.Text type="secondary">{props.distributor}</Typography.Text>
        </Space>
      }
      extra={<Typography.Text type="secondary">{t("rowsQty", { rows: review.row_count, qty: formatQty(review.base_quantity) })}</Typography.Text>}
    >
      <ProblemAlert error={error} onClose={() => setError(undefined)} />
      <Table<Candidate>
        rowKey="customer_id"
        size="small"
        pagination={false}
        dataSource={review.candidates}
        scroll={{ x: 560 }}
        locale={{ emptyText: t("noCandidates") }}
        columns={[
          {
            title: t("candidates"),
            dataIndex: "name",
            render: (v: string, c) => (
              <Space>
                <Link to={`/customers/${c.customer_id}`} target="_blank">
                  {v}
                </Link>
                {c.same_city && <Tag color="blue">{t("sameCity")}</Tag>}
              </Space>
            ),
          },
          { title: t("score"), dataIndex: "score", width: 90, align: "right", render: (v: number) => formatRate(v / 100) },
          {
            title: t("actions"),
            width: 150,
            render: (_, c) => (
              <Button size="small" type="primary" loading={busy === c.customer_id} disabled={busy !== undefined} onClick={() => void confirm(c)}>
                {t("confirm")}
              </Button>
            ),
          },
        ]}
      />
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginTop: 8 }}>
        <Checkbox checked={alsoAlias} onChange={(e) => setAlsoAlias(e.target.checked)}>
          {t("alsoAlias")}
        </Checkbox>
        <Button onClick={() => setNewTerminal(true)} disabled={busy !== undefined}>
          {t("newTerminal")}
        </Button>
      </Flex>
      <Modal
        open={newTerminal}
        title={t("newTerminalTitle", { name: review.buyer_name })}
        onOk={() => void createTerminal()}
        confirmLoading={busy === "new"}
        onCancel={() => setNewTerminal(false)}
        destroyOnHidden
      >
        <ProblemAlert error={error} />
        <Form form={form} layout="vertical">
          <Form.Item name="kind" label={t("terminalKind")} rules={[{ required: true }]}>
            <Select options={options(TERMINAL_KINDS, lang)} />
          </Form.Item>
          <Form.Item name="city" label={t("city")}>
            <Input maxLength={50} />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}
