import { PlusOutlined } from "@ant-design/icons";
import { Alert, App, Button, Flex, Form, Input, Modal, Select, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { api, ApiProblem, ok, withEtag, type Schemas } from "../../api/client";
import { OrgUnitSelect } from "../../components/OrgUnitSelect";
import { Pager } from "../../components/Pager";
import { ProblemAlert, showFieldErrors } from "../../components/Problem";
import { useCursorList } from "../../components/useCursorList";
import { hasRole, useUser } from "../../components/UserContext";
import { ROLE_NAMES } from "../../labels";
import { useLang, useT } from "../../i18n";
import { useOrgTree } from "./common";
import { m } from "./messages";

type UserView = Schemas["UserView"];
type Role = Schemas["Role"];
const ALL_ROLES: Role[] = ["rep", "dept_head", "branch_head", "hq_admin", "finance", "distributor", "erp"];

export default function UserList() {
  const t = useT(m);
  const { lang } = useLang();
  const me = useUser();
  const { message, modal } = App.useApp();
  const tree = useOrgTree();
  const mayWrite = hasRole(me, "hq_admin", "branch_head");
  const grantable: Role[] = hasRole(me, "hq_admin") ? ALL_ROLES : ["rep"]; // crm.org.users.GRANTABLE
  const list = useCursorList<UserView>((cursor) => ok(api().GET("/users", { params: { query: { cursor, limit: 50 } } })), []);
  const [editing, setEditing] = useState<{ user: UserView; etag: string } | "new">();
  const [error, setError] = useState<unknown>();
  const [actionError, setActionError] = useState<unknown>();
  const [conflict, setConflict] = useState(false);
  const [saving, setSaving] = useState(false);
  const [form] = Form.useForm();
  const roles = Form.useWatch("roles", form) as Role[] | undefined;
  const roleOptions = grantable.map((r) => ({ value: r, label: ROLE_NAMES[r]?.[lang] ?? r }));
  const unitName = (id: string) => tree.byId[id]?.name ?? id;

  async function openEdit(user: UserView) {
    setError(undefined);
    setConflict(false);
    try {
      const fresh = await withEtag(api().GET("/users/{user_id}", { params: { path: { user_id: user.id } } }));
      form.setFieldsValue({ roles: fresh.data.roles, org_unit_id: fresh.data.org_unit_id });
      setEditing({ user: fresh.data, etag: fresh.etag });
    } catch (err) {
      setActionError(err);
    }
  }

  function openNew() {
    setError(undefined);
    setConflict(false);
    form.resetFields();
    form.setFieldsValue({ roles: ["rep"] });
    setEditing("new");
  }

  async function save() {
    const values = await form.validateFields();
    setSaving(true);
    setError(undefined);
    try {
      if (editing === "new") {
        const body: Schemas["UserCreate"] = {
          username: values.username,
          name: values.name,
          email: values.email,
          phone: values.phone || null,
          org_unit_id: values.org_unit_id || null,
          roles: values.roles,
          distributor_code: values.roles?.includes("distributor") ? values.distributor_code || null : null,
        };
        await ok(api().POST("/users", { body }));
        message.success(t("userCreated"));
      } else if (editing) {
        const body: Schemas["UserPatch"] = {};
        if (JSON.stringify([...values.roles].sort()) !== JSON.stringify([...editing.user.roles].sort())) body.roles = values.roles;
        if (values.org_unit_id !== editing.user.org_unit_id) body.org_unit_id = values.org_unit_id;
        await ok(api().PATCH("/users/{user_id}", { params: { path: { user_id: editing.user.id }, header: { "if-match": editing.etag } }, body }));
        message.success(t("userSaved"));
      }
      setEditing(undefined);
      list.reload();
    } catch (err) {
      if (err instanceof ApiProblem && err.status === 412 && editing && editing !== "new") {
        const fresh = await withEtag(api().GET("/users/{user_id}", { params: { path: { user_id: editing.user.id } } }));
        form.setFieldsValue({ roles: fresh.data.roles, org_unit_id: fresh.data.org_unit_id });
        setEditing({ user: fresh.data, etag: fresh.etag });
        setConflict(true);
      } else {
        showFieldErrors(form, err);
        setError(err);
      }
    } finally {
      setSaving(false);
    }
  }

  function toggle(user: UserView) {
    const disabling = user.status === "active";
    modal.confirm({
      title: disabling ? t("disableConfirm", { name: user.name }) : t("enableConfirm", { name: user.name }),
      okText: disabling ? t("disable") : t("enable"),
      okButtonProps: { danger: disabling },
      cancelText: t("cancel"),
      onOk: async () => {
        setActionError(undefined);
        try {
          const path = { user_id: user.id };
          if (disabling) await ok(api().POST("/users/{user_id}/disable", { params: { path } }));
          else await ok(api().POST("/users/{user_id}/enable", { params: { path } }));
          message.success(disabling ? t("userDisabled") : t("userEnabled"));
          list.reload();
        } catch (err) {
          setActionError(err);
        }
      },
    });
  }

  return (
    <>
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 16 }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t("users")}
        </Typography.Title>
        {mayWrite && (
          <Button type="primary" icon={<PlusOutlined />} onClick={openNew}>
            {t("newUser")}
          </Button>
        )}
      </Flex>
      <ProblemAlert error={list.error ?? actionError} onClose={actionError ? () => setActionError(undefined) : undefined} />
      <Table<UserView>
        rowKey="id"
        size="middle"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        scroll={{ x: 1200 }}
        locale={{ emptyText: t("empty") }}
        columns={[
          { title: t("username"), dataIndex: "username", width: 120 },
          { title: t("name"), dataIndex: "name", width: 140, ellipsis: true },
          { title: t("unit"), dataIndex: "org_unit_id", width: 160, render: (id: string) => unitName(id) },
          {
            title: t("roles"),
            dataIndex: "roles",
            width: 190,
            render: (rs: Role[]) => (
              <Space size={4} wrap>
                {rs.map((r) => (
                  <Tag key={r} color={r === "hq_admin" ? "purple" : r === "rep" ? "blue" : r === "distributor" ? "orange" : "cyan"}>
                    {ROLE_NAMES[r]?.[lang] ?? r}
                  </Tag>
                ))}
              </Space>
            ),
          },
          { title: t("email"), dataIndex: "email", ellipsis: true, render: (v?: string | null) => v ?? "—" },
          { title: t("phone"), dataIndex: "phone", width: 130, render: (v?: string | null) => v ?? "—" },
          { title: t("status"), dataIndex: "status", width: 80, render: (v: string) => <Tag color={v === "active" ? "green" : "red"}>{v === "active" ? t("enabled") : t("disabled")}</Tag> },
          ...(mayWrite
            ? [
                {
                  title: t("actions"),
                  key: "actions",
                  width: 200,
                  fixed: "right" as const,
                  render: (_: unknown, u: UserView) =>
                    u.id === me.id ? (
                      <Typography.Text type="secondary">{t("self")}</Typography.Text>
                    ) : (
                      <Space size={4}>
                        <Button size="small" onClick={() => void openEdit(u)}>
                          {t("edit")}
                        </Button>
                        <Button size="small" danger={u.status === "active"} onClick={() => toggle(u)}>
                          {u.status === "active" ? t("disable") : t("enable")}
                        </Button>
                      </Space>
                    ),
                },
              ]
            : []),
        ]}
      />
      <Pager pageNumber={list.pageNumber} hasNext={list.hasNext} next={list.next} previous={list.previous} />
      <Modal
        open={editing !== undefined}
        title={editing === "new" ? t("newUser") : editing ? `${t("edit")} · ${editing.user.name}` : ""}
        onOk={() => void save()}
        okText={editing === "new" ? t("create") : t("save")}
        cancelText={t("cancel")}
        confirmLoading={saving}
        onCancel={() => setEditing(undefined)}
        width={600}
        forceRender
      >
        {conflict && <Alert type="warning" showIcon role="alert" title={t("userConflict")} style={{ marginBottom: 12 }} />}
        <ProblemAlert error={error} />
        <Form form={form} layout="vertical">
          {editing === "new" && (
            <>
              <Form.Item name="username" label={t("username")} extra={t("usernameHelp")} rules={[{ required: true }, { pattern: /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/, message: t("usernameHelp") }]}>
                <Input autoComplete="off" />
              </Form.Item>
              <Form.Item name="name" label={t("name")} rules={[{ required: true, max: 100 }]}>
                <Input />
              </Form.Item>
              <Form.Item name="email" label={t("email")} rules={[{ required: true, type: "email" }]}>
                <Input inputMode="email" />
              </Form.Item>
              <Form.Item name="phone" label={t("phone")} extra={t("phoneHelp")} rules={[{ pattern: /^\+[1-9][0-9]{6,14}$/, message: t("phoneHelp") }]}>
                <Input inputMode="tel" />
              </Form.Item>
            </>
          )}
          <Form.Item name="roles" label={t("roles")} rules={[{ required: true }]}>
            <Select mode="multiple" options={roleOptions} />
          </Form.Item>
          <Form.Item name="org_unit_id" label={t("unit")} rules={[{ required: !roles?.includes("distributor") }]}>
            <OrgUnitSelect placeholder={t("unit")} style={{ width: "100%" }} />
          </Form.Item>
          {editing === "new" && roles?.includes("distributor") && (
            <Form.Item name="distributor_code" label={t("distributor")} extra={t("distributorHelp")} rules={[{ required: true }]}>
              <Input />
            </Form.Item>
          )}
          {editing !== "new" && <Typography.Text type="secondary">{t("tokenNote")}</Typography.Text>}
        </Form>
      </Modal>
    </>
  );
}
