import { PlusOutlined } from "@ant-design/icons";
import { App, AutoComplete, Button, DatePicker, Flex, Form, Input, Modal, Popconfirm, Select, Table, Typography } from "antd";
import type { Dayjs } from "dayjs";
import dayjs from "dayjs";
import { useState } from "react";
import { api, ok, type Schemas } from "../../api/client";
import { ProblemAlert, showFieldErrors } from "../../components/Problem";
import { useRemote } from "../../components/useRemote";
import { hasRole, useUser } from "../../components/UserContext";
import { formatDate, formatDateTime } from "../../format";
import { useT } from "../../i18n";
import { APPROVERS } from "../../modules";
import { useUserNames } from "../orders/common";
import { DELEGATION_STATUSES, StatusTag } from "./common";
import { m } from "./messages";

type Delegation = Schemas["Delegation"];

export default function Delegations() {
  const t = useT(m);
  const who = useUserNames();
  const { message } = App.useApp();
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<unknown>();
  const list = useRemote(() => ok(api().GET("/delegations")), []);

  async function cancel(d: Delegation) {
    setError(undefined);
    try {
      await ok(api().POST("/delegations/{delegation_id}/cancel", { params: { path: { delegation_id: d.id }, header: { "if-match": `"${d.version}"` } } }));
      message.success(t("cancelled"));
    } catch (err) {
      setError(err);
    }
    list.reload();
  }

  return (
    <>
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 8 }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t("delegations")}
        </Typography.Title>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
          {t("newDelegation")}
        </Button>
      </Flex>
      <Typography.Paragraph type="secondary">{t("delegationsHint")}</Typography.Paragraph>
      <ProblemAlert error={list.error ?? error} />
      <Table<Delegation>
        rowKey="id"
        size="middle"
        loading={list.loading}
        dataSource={list.data?.items ?? []}
        pagination={false}
        scroll={{ x: 960 }}
        columns={[
          { title: t("delegator"), dataIndex: "delegator_id", width: 120, render: (v: string) => who(v) },
          { title: t("deputy"), dataIndex: "deputy_id", width: 120, render: (v: string) => who(v) },
          { title: t("period2"), key: "period", width: 210, render: (_, d) => `${formatDate(d.starts_on)} ~ ${formatDate(d.ends_on)}` },
          { title: t("delegationReason"), dataIndex: "reason", render: (v?: string | null) => v ?? "—" },
          { title: t("delegationStatus"), dataIndex: "status", width: 100, render: (v: string) => <StatusTag status={v} names={DELEGATION_STATUSES} /> },
          { title: t("createdBy"), key: "created", width: 200, render: (_, d) => `${who(d.created_by)} · ${formatDateTime(d.created_at)}` },
          {
            title: t("actions"),
            key: "actions",
            width: 110,
            render: (_, d) =>
              d.status === "active" || d.status === "scheduled" ? (
                <Popconfirm title={t("cancelConfirm")} onConfirm={() => void cancel(d)}>
                  <Button size="small" danger>
                    {t("cancel")}
                  </Button>
                </Popconfirm>
              ) : null,
          },
        ]}
      />
      {creating && (
        <NewDelegation
          onClose={(created) => {
            setCreating(false);
            if (created) list.reload();
          }}
        />
      )}
    </>
  );
}

function NewDelegation({ onClose }: { onClose: (created: boolean) => void }) {
  const t = useT(m);
  const user = useUser();
  const { message } = App.useApp();
  const hq = hasRole(user, "hq_admin");
  const [form] = Form.useForm<{ deputy_id: string; period: [Dayjs, Dayjs]; reason?: string; delegator_id?: string }>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  // Suggestions from the users the caller may list (a manager's subtree); a deputy elsewhere (a peer, the branch
  // head) is typed by user id: the API offers no directory of approvers outside one's subtree.
  const users = useRemote(async () => {
    const found: Schemas["UserView"][] = [];
    let cursor: string | undefined;
    do {
      const page = await ok(api().GET("/users", { params: { query: { limit: 200, cursor } } }));
      found.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return found;
  }, []);
  const approvers = (users.data ?? []).filter((u) => u.status === "active" && u.id !== user.id && u.roles.some((r) => APPROVERS.includes(r as (typeof APPROVERS)[number])));
  const everyone = (users.data ?? []).filter((u) => u.status === "active" && u.roles.some((r) => APPROVERS.includes(r as (typeof APPROVERS)[number])));
  const option = (u: Schemas["UserView"]) => ({ value: u.id, label: `${u.name}（${u.username}）` });

  async function create() {
    const values = await form.validateFields();
    setBusy(true);
    setError(undefined);
    try {
      await ok(
        api().POST("/delegations", {
          body: {
            deputy_id: values.deputy_id.trim(),
            starts_on: values.period[0].format("YYYY-MM-DD"),
            ends_on: values.period[1].format("YYYY-MM-DD"),
            reason: values.reason?.trim() || null,
            delegator_id: values.delegator_id || null,
          },
        }),
      );
      message.success(t("created"));
      onClose(true);
    } catch (err) {
      showFieldErrors(form, err);
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal open title={t("newDelegation")} okText={t("newDelegation")} confirmLoading={busy} onOk={() => void create()} onCancel={() => onClose(false)}>
      <ProblemAlert error={error} />
      <Form form={form} layout="vertical" initialValues={{ period: [dayjs(), dayjs().add(6, "day")] }}>
        {hq && (
          <Form.Item name="delegator_id" label={t("delegator")} extra={t("delegatorHint")}>
            <Select allowClear showSearch={{ optionFilterProp: "label" }} options={everyone.map(option)} />
          </Form.Item>
        )}
        <Form.Item name="deputy_id" label={t("deputy")} extra={t("deputyHint")} rules={[{ required: true, whitespace: true }]}>
          <AutoComplete
            options={approvers.map(option)}
            filterOption={(typed, o) => `${o?.value ?? ""} ${o?.label ?? ""}`.toLowerCase().includes(typed.toLowerCase())}
            placeholder={t("deputyPlaceholder")}
          />
        </Form.Item>
        <Form.Item name="period" label={t("period2")} rules={[{ required: true }]}>
          <DatePicker.RangePicker style={{ width: "100%" }} />
        </Form.Item>
        <Form.Item name="reason" label={t("delegationReason")} rules={[{ max: 200 }]}>
          <Input />
        </Form.Item>
      </Form>
    </Modal>
  );
}
