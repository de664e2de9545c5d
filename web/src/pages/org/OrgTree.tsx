import { ApartmentOutlined, EditOutlined, PlusOutlined, StopOutlined, SwapOutlined } from "@ant-design/icons";
import { Alert, App, Button, Card, Col, Descriptions, Empty, Form, Input, Modal, Progress, Row, Space, Spin, Tag, Tree, TreeSelect, Typography } from "antd";
import { useEffect, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { api, ApiProblem, ok, withEtag, type Schemas } from "../../api/client";
import { ProblemAlert } from "../../components/Problem";
import { useRemote } from "../../components/useRemote";
import { hasRole, useUser } from "../../components/UserContext";
import { formatDateTime } from "../../format";
import { useT } from "../../i18n";
import { HistoryTable } from "../products/HistoryTable";
import { useUserNames } from "../../components/useUserNames";
import { type OrgNode, useOrgTree } from "./common";
import { m } from "./messages";

type Move = Schemas["OrgMove"];
const PHASES = ["units", "settling", "customers", "orders", "visits", "plans"];
const KIND_COLOR: Record<string, string> = { hq: "purple", branch: "blue", department: "cyan" };

export default function OrgTree() {
  const t = useT(m);
  const user = useUser();
  const admin = hasRole(user, "hq_admin");
  const tree = useOrgTree();
  const [params, setParams] = useSearchParams();
  const selected = params.get("unit") ?? undefined;
  const moveId = params.get("move") ?? undefined;
  const [refreshes, setRefreshes] = useState(0); // a finished move changes paths: read the unit again
  const set = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  interface TreeItem {
    key: string;
    title: React.ReactNode;
    children: TreeItem[];
  }
  const toTreeData = (nodes: OrgNode[]): TreeItem[] =>
    nodes.map((n) => ({
      key: n.id,
      title: (
        <Space size={4}>
          <span style={n.status === "closed" ? { color: "#999", textDecoration: "line-through" } : undefined}>{n.name}</span>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {n.id}
          </Typography.Text>
          <Tag color={KIND_COLOR[n.kind]} style={{ marginInlineEnd: 0 }}>
            {t(n.kind)}
          </Tag>
          {n.status === "closed" && <Tag>{t("closed")}</Tag>}
        </Space>
      ),
      children: toTreeData(n.children),
    }));

  return (
    <>
      <Typography.Title level={3}>{t("org")}</Typography.Title>
      {!admin && <Alert type="info" showIcon title={t("readOnly")} style={{ marginBottom: 16 }} />}
      <ProblemAlert error={tree.error} />
      {moveId && <MoveProgress moveId={moveId} admin={admin} onFinished={() => {
            tree.reload();
            setRefreshes((n) => n + 1);
          }}
          onDismiss={() => set("move", undefined)} />}
      <Row gutter={16}>
        <Col xs={24} lg={10}>
          <Card size="small" title={<Space><ApartmentOutlined />{t("org")}</Space>} style={{ marginBottom: 16 }}>
            {tree.loading && !tree.data ? (
              <Spin />
            ) : (
              <Tree
                key={tree.roots.length ? "loaded" : "empty"}
                defaultExpandAll
                blockNode
                selectedKeys={selected ? [selected] : []}
                onSelect={(keys) => set("unit", keys[0] ? String(keys[0]) : undefined)}
                treeData={toTreeData(tree.roots)}
              />
            )}
          </Card>
        </Col>
        <Col xs={24} lg={14}>
          {selected ? (
            <UnitPanel key={`${selected}-${refreshes}`} unitId={selected} admin={admin} tree={tree.roots} onChanged={tree.reload} onMoveStarted={(id) => set("move", id)} />
          ) : (
            <Card size="small">
              <Empty description={t("chooseUnit")} />
            </Card>
          )}
        </Col>
      </Row>
    </>
  );
}

interface UnitOption {
  value: string;
  title: string;
  disabled: boolean;
  children: UnitOption[];
}

function unitOptions(nodes: OrgNode[], disabled: (n: OrgNode) => boolean): UnitOption[] {
  return nodes.map((n) => ({ value: n.id, title: `${n.name}（${n.id}）`, disabled: disabled(n), children: unitOptions(n.children, disabled) }));
}

function UnitPanel({ unitId, admin, tree, onChanged, onMoveStarted }: { unitId: string; admin: boolean; tree: OrgNode[]; onChanged: () => void; onMoveStarted: (id: string) => void }) {
  const t = useT(m);
  const { message } = App.useApp();
  const unit = useRemote(() => withEtag(api().GET("/org-units/{unit_id}", { params: { path: { unit_id: unitId } } })), [unitId]);
  const [dialog, setDialog] = useState<"child" | "rename" | "close" | "move">();
  const [error, setError] = useState<unknown>();
  const [saving, setSaving] = useState(false);
  const [historyKey, setHistoryKey] = useState(0);
  const [form] = Form.useForm();

  if (unit.loading && !unit.data) return <Spin />;
  if (!unit.data) return <ProblemAlert error={unit.error} />;
  const { data: u, etag } = unit.data;
  const open = u.status === "active";

  function start(which: typeof dialog) {
    setError(undefined);
    form.resetFields();
    if (which === "rename") form.setFieldsValue({ name: u.name });
    setDialog(which);
  }

  async function submit() {
    const values = await form.validateFields();
    setSaving(true);
    setError(undefined);
    const path = { unit_id: u.id };
    try {
      if (dialog === "child") {
        const kind = "branch" === childKind(u.kind) ? "branch" : "department";
        await ok(api().POST("/org-units", { body: { id: values.id, name: values.name, kind, parent_id: u.id } }));
        message.success(t("created"));
      } else if (dialog === "rename") {
        await ok(api().PATCH("/org-units/{unit_id}", { params: { path, header: { "if-match": etag } }, body: { name: values.name } }));
        message.success(t("renamed"));
      } else if (dialog === "close") {
        await ok(api().POST("/org-units/{unit_id}/close", { params: { path, header: { "if-match": etag } }, body: { reason: values.reason } }));
        message.success(t("closedDone"));
      } else if (dialog === "move") {
        const job = await ok(api().POST("/org-units/{unit_id}/move", { params: { path }, body: { parent_id: values.parent_id, reason: values.reason || null } }));
        message.success(t("moveStarted"));
        onMoveStarted(job.id);
      }
      setDialog(undefined);
      unit.reload();
      onChanged();
      setHistoryKey((n) => n + 1);
    } catch (err) {
      if (err instanceof ApiProblem && err.status === 412) unit.reload();
      setError(err);
    } finally {
      setSaving(false);
    }
  }

  const titles = { child: t("addChild"), rename: t("rename"), close: t("close"), move: t("moveTitle", { unit: u.name }) };
  const below = (n: OrgNode) => n.path.startsWith(u.path);
  return (
    <Card
      size="small"
      title={
        <Space>
          {u.name}
          <Tag color={KIND_COLOR[u.kind]}>{t(u.kind)}</Tag>
          <Tag color={open ? "green" : "default"}>{open ? t("active") : t("closed")}</Tag>
        </Space>
      }
    >
      {admin && open && (
        <Space wrap style={{ marginBottom: 12 }}>
          <Button icon={<PlusOutlined />} onClick={() => start("child")}>
            {t("addChild")}
          </Button>
          <Button icon={<EditOutlined />} onClick={() => start("rename")}>
            {t("rename")}
          </Button>
          {u.kind !== "hq" && (
            <Button icon={<SwapOutlined />} onClick={() => start("move")}>
              {t("move")}
            </Button>
          )}
          {u.kind !== "hq" && (
            <Button danger icon={<StopOutlined />} onClick={() => start("close")}>
              {t("close")}
            </Button>
          )}
        </Space>
      )}
      <Descriptions bordered size="small" column={{ xs: 1, md: 2 }} style={{ marginBottom: 16 }}>
        <Descriptions.Item label={t("id")}>{u.id}</Descriptions.Item>
        <Descriptions.Item label={t("kind")}>{t(u.kind)}</Descriptions.Item>
        <Descriptions.Item label={t("parent")}>{u.parent_id ?? "—"}</Descriptions.Item>
        <Descriptions.Item label={t("path")}>{u.path}</Descriptions.Item>
        <Descriptions.Item label={t("status")}>{open ? t("active") : `${t("closed")} ${formatDateTime(u.closed_at)}`}</Descriptions.Item>
        <Descriptions.Item label={t("version")}>{u.version}</Descriptions.Item>
      </Descriptions>
      <Typography.Title level={5}>{t("history")}</Typography.Title>
      <HistoryTable
        key={historyKey}
        load={(cursor) => ok(api().GET("/org-units/{unit_id}/history", { params: { path: { unit_id: u.id }, query: { cursor } } }))}
        deps={[u.id, historyKey]}
      />
      <Modal open={dialog !== undefined} title={dialog && titles[dialog]} onOk={() => void submit()} confirmLoading={saving} onCancel={() => setDialog(undefined)} destroyOnHidden>
        <Refusal error={error} />
        <Form form={form} layout="vertical">
          {dialog === "child" && (
            <>
              <Form.Item label={t("kind")}>
                <Tag color={KIND_COLOR[childKind(u.kind)]}>{t(childKind(u.kind))}</Tag>
              </Form.Item>
              <Form.Item name="id" label={t("id")} extra={t("idHelp")} rules={[{ required: true }, { pattern: /^[A-Z0-9](?:[A-Z0-9-]{0,30}[A-Z0-9])?$/, message: t("idHelp") }]}>
                <Input />
              </Form.Item>
              <Form.Item name="name" label={t("name")} rules={[{ required: true, max: 100 }]}>
                <Input />
              </Form.Item>
            </>
          )}
          {dialog === "rename" && (
            <Form.Item name="name" label={t("name")} rules={[{ required: true, max: 100 }]}>
              <Input />
            </Form.Item>
          )}
          {dialog === "move" && (
            <Form.Item name="parent_id" label={t("newParent")} rules={[{ required: true }]}>
              <TreeSelect
                aria-label={t("newParent")}
                treeDefaultExpandAll
                showSearch
                treeNodeFilterProp="title"
                treeData={unitOptions(tree, (n) => below(n) || n.status === "closed" || n.id === u.parent_id || (u.kind === "branch" ? n.kind !== "hq" : n.kind === "hq"))}
              />
            </Form.Item>
          )}
          {(dialog === "close" || dialog === "move") && (
            <Form.Item name="reason" label={t("reason")} rules={[{ required: dialog === "close" }]}>
              <Input.TextArea rows={2} />
            </Form.Item>
          )}
        </Form>
      </Modal>
    </Card>
  );
}

function childKind(kind: string): "branch" | "department" {
  return kind === "hq" ? "branch" : "department";
}

/** A refusal as the API words it, with what is left under a unit that cannot close yet. */
function Refusal({ error }: { error: unknown }) {
  const t = useT(m);
  const nameOf = useUserNames();
  if (!(error instanceof ApiProblem && error.status === 409 && ("open_units" in error.problem || "active_users" in error.problem)))
    return <ProblemAlert error={error} />;
  const p = error.problem as { open_units?: string[]; active_users?: string[]; has_customers?: boolean };
  const left = [
    p.open_units?.length ? t("openUnits", { list: p.open_units.join("、") }) : "",
    p.active_users?.length ? t("activeUsers", { list: p.active_users.map((id) => nameOf(id)).join("、") }) : "",
    p.has_customers ? t("hasCustomers") : "",
  ].filter(Boolean);
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      data-testid="close-refused"
      title={error.problem.detail || error.problem.title}
      description={
        <ul style={{ margin: 0, paddingInlineStart: 18 }}>
          {left.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      }
      style={{ marginBottom: 16 }}
    />
  );
}

function MoveProgress({ moveId, admin, onFinished, onDismiss }: { moveId: string; admin: boolean; onFinished: () => void; onDismiss: () => void }) {
  const t = useT(m);
  const { message } = App.useApp();
  const [move, setMove] = useState<Move>();
  const [error, setError] = useState<unknown>();
  const [polls, setPolls] = useState(0);

  useEffect(() => {
    let live = true;
    ok(api().GET("/org-units/moves/{move_id}", { params: { path: { move_id: moveId } } }))
      .then((job) => {
        if (!live) return;
        setMove(job);
        setError(undefined);
        if (job.status === "running") setTimeout(() => live && setPolls((n) => n + 1), 2000);
        else onFinished();
      })
      .catch((err: unknown) => live && setError(err));
    return () => {
      live = false;
    };
  }, [moveId, polls]); // eslint-disable-line react-hooks/exhaustive-deps

  async function retry() {
    try {
      setMove(await ok(api().POST("/org-units/moves/{move_id}/retry", { params: { path: { move_id: moveId } } })));
      message.success(t("retried"));
      setPolls((n) => n + 1);
    } catch (err) {
      setError(err);
    }
  }

  const step = move ? (move.status === "completed" ? PHASES.length : Math.max(0, PHASES.indexOf(move.phase))) : 0;
  const phaseKey = `phase_${move?.status === "completed" ? "done" : move?.phase}` as Parameters<typeof t>[0];
  return (
    <Card
      size="small"
      title={t("moveJob")}
      extra={move?.status !== "running" && <Button size="small" onClick={onDismiss}>{t("dismiss")}</Button>}
      style={{ marginBottom: 16 }}
      data-testid="move-progress"
    >
      <ProblemAlert error={error} />
      {move && (
        <>
          <Space wrap style={{ marginBottom: 8 }}>
            <Tag color={move.status === "completed" ? "green" : move.status === "failed" ? "red" : "blue"}>{t(move.status)}</Tag>
            <Typography.Text>{`${move.unit_id}: ${t("from")} ${move.from_parent_id} → ${t("to")} ${move.to_parent_id}`}</Typography.Text>
            <Typography.Text type="secondary">{`${t("phase")}: ${t(phaseKey)}`}</Typography.Text>
            <Typography.Text type="secondary">{`${t("requestedBy")}: ${move.requested_by} · ${formatDateTime(move.requested_at)}`}</Typography.Text>
          </Space>
          <Progress percent={Math.round((step / PHASES.length) * 100)} status={move.status === "failed" ? "exception" : move.status === "running" ? "active" : "success"} />
          <Typography.Text type="secondary">
            {t("moved")}:{" "}
            {Object.entries(move.moved ?? {})
              .map(([kind, n]) => `${t(`kind_${kind}` as Parameters<typeof t>[0])} ${String(n)}`)
              .join(" · ") || "—"}
          </Typography.Text>
          {move.status === "failed" && (
            <Alert
              type="error"
              showIcon
              style={{ marginTop: 8 }}
              title={`${t("moveError")}: ${move.error ?? ""}`}
              action={admin && <Button size="small" onClick={() => void retry()}>{t("retry")}</Button>}
            />
          )}
        </>
      )}
    </Card>
  );
}
