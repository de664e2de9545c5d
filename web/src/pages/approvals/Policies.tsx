import { MinusCircleOutlined, PlusOutlined } from "@ant-design/icons";
import { Alert, App, Button, Card, Col, Flex, Form, Input, InputNumber, Row, Select, Space, Spin, Switch, Tabs, Typography } from "antd";
import { useEffect, useState } from "react";
import { api, ApiProblem, withEtag, type Schemas } from "../../api/client";
import { ProblemAlert, showFieldErrors } from "../../components/Problem";
import { useRemote } from "../../components/useRemote";
import { hasRole, useUser } from "../../components/UserContext";
import { useLang, useT } from "../../i18n";
import { APPROVAL_KINDS, name, options } from "../../labels";
import { APPROVER_ROLES } from "./common";
import { m } from "./messages";

type Kind = Schemas["Approval"]["kind"];
const KINDS: Kind[] = [
  "order", "return", "customer_activation", "level_change", "inventory_adjustment", "agreement", "accrual", "diversion_penalty",
];
const AMOUNT = /^(?:[1-9][0-9]{0,15}(?:\.[0-9]{1,2})?|0(?:\.[0-9]{1,2})?)$/;
const HOUR = 3600;

interface Values {
  steps: { role: Schemas["PolicyStep"]["role"]; min_amount?: string; when_over_credit?: boolean }[];
  reminder_hours: number;
  escalate_hours: number;
  expire_hours?: number | null;
}

const hours = (seconds: number | null | undefined) => (seconds === null || seconds === undefined ? null : Math.round((seconds / HOUR) * 100) / 100);
const seconds = (h: number) => Math.max(1, Math.round(h * HOUR));

export default function Policies() {
  const t = useT(m);
  const { lang } = useLang();
  const [kind, setKind] = useState<Kind>("order");
  return (
    <>
      <Typography.Title level={3}>{t("policies")}</Typography.Title>
      <Tabs
        activeKey={kind}
        onChange={(k) => setKind(k as Kind)}
        destroyOnHidden
        items={KINDS.map((k) => ({ key: k, label: name(APPROVAL_KINDS, k, lang), children: <PolicyForm kind={k} /> }))}
      />
    </>
  );
}

function PolicyForm({ kind }: { kind: Kind }) {
  const t = useT(m);
  const { lang } = useLang();
  const user = useUser();
  const { message } = App.useApp();
  const hq = hasRole(user, "hq_admin");
  const [form] = Form.useForm<Values>();
  const [error, setError] = useState<unknown>();
  const [stale, setStale] = useState(false);
  const [saving, setSaving] = useState(false);
  const policy = useRemote(() => withEtag(api().GET("/approval-policies/{kind}", { params: { path: { kind } } })), [kind]);

  useEffect(() => {
    if (!policy.data) return;
    const p = policy.data.data;
    form.setFieldsValue({
      steps: p.steps.map((s) => ({ role: s.role, min_amount: s.min_amount ?? undefined, when_over_credit: s.when_over_credit ?? false })),
      reminder_hours: hours(p.reminder_after_seconds ?? 28800) ?? 8,
      escalate_hours: hours(p.escalate_after_seconds ?? 86400) ?? 24,
      expire_hours: hours(p.expire_after_seconds),
    });
  }, [policy.data, form]);

  async function save() {
    const values = await form.validateFields();
    if (!policy.data) return;
    setSaving(true);
    setError(undefined);
    setStale(false);
    try {
      const saved = await withEtag(
        api().PUT("/approval-policies/{kind}", {
          params: { path: { kind }, header: { "if-match": policy.data.etag } },
          body: {
            steps: values.steps.map((s) => ({ role: s.role, min_amount: s.min_amount?.trim() || null, when_over_credit: Boolean(s.when_over_credit) })),
            reminder_after_seconds: seconds(values.reminder_hours),
            escalate_after_seconds: seconds(values.escalate_hours),
            expire_after_seconds: values.expire_hours ? seconds(values.expire_hours) : null,
          },
        }),
      );
      policy.setData(saved);
      message.success(t("saved"));
    } catch (err) {
      if (err instanceof ApiProblem && err.status === 412) {
        setStale(true);
        policy.reload();
      } else {
        showFieldErrors(form, err);
        setError(err);
      }
    } finally {
      setSaving(false);
    }
  }

  if (policy.loading && !policy.data) return <Spin />;
  const version = policy.data?.etag.replaceAll('"', "");
  return (
    <Card size="small" title={t("policyFor", { kind: name(APPROVAL_KINDS, kind, lang) })} extra={version === "0" ? t("defaultPolicy") : t("lastSaved", { v: version ?? "" })}>
      <ProblemAlert error={policy.error ?? error} onClose={error ? () => setError(undefined) : undefined} />
      {stale && <Alert type="warning" showIcon role="alert" title={t("stale")} style={{ marginBottom: 12 }} />}
      {!hq && <Alert type="info" title={t("readOnly")} style={{ marginBottom: 12 }} />}
      <Typography.Paragraph type="secondary">{`${t("stepHint")} ${t("always")}`}</Typography.Paragraph>
      <Form form={form} layout="vertical" disabled={!hq}>
        <Form.List name="steps">
          {(fields, { add, remove }) => (
            <>
              {fields.map((field, index) => (
                <Row key={field.key} gutter={12} align="middle">
                  <Col flex="none" style={{ width: 60 }}>
                    <Typography.Text strong>{`#${index + 1}`}</Typography.Text>
                  </Col>
                  <Col xs={24} md={6}>
                    <Form.Item name={[field.name, "role"]} label={t("role")} rules={[{ required: true }]}>
                      <Select options={options(APPROVER_ROLES, lang)} />
                    </Form.Item>
                  </Col>
                  <Col xs={24} md={6}>
                    <Form.Item name={[field.name, "min_amount"]} label={t("minAmount")} rules={[{ pattern: AMOUNT, message: "10000.00" }]}>
                      <Input inputMode="decimal" prefix="¥" allowClear />
                    </Form.Item>
                  </Col>
                  <Col xs={24} md={6}>
                    <Form.Item name={[field.name, "when_over_credit"]} label={t("whenOverCredit")} valuePropName="checked">
                      <Switch />
                    </Form.Item>
                  </Col>
                  <Col flex="none">
                    {fields.length > 1 && (
                      <Button type="text" icon={<MinusCircleOutlined />} onClick={() => remove(field.name)}>
                        {t("removeStep")}
                      </Button>
                    )}
                  </Col>
                </Row>
              ))}
              {fields.length < 6 && (
                <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ role: "branch_head", when_over_credit: false })} style={{ marginBottom: 16 }}>
                  {t("addStep")}
                </Button>
              )}
            </>
          )}
        </Form.List>
        <Row gutter={12}>
          <Col xs={24} md={6}>
            <Form.Item name="reminder_hours" label={t("reminderHours")} rules={[{ required: true }]}>
              <InputNumber min={0.01} max={720} step={1} style={{ width: "100%" }} />
            </Form.Item>
          </Col>
          <Col xs={24} md={6}>
            <Form.Item name="escalate_hours" label={t("escalateHours")} rules={[{ required: true }]}>
              <InputNumber min={0.01} max={1440} step={1} style={{ width: "100%" }} />
            </Form.Item>
          </Col>
          <Col xs={24} md={6}>
            <Form.Item name="expire_hours" label={t("expireHours")}>
              <InputNumber min={0.01} max={4320} step={1} style={{ width: "100%" }} />
            </Form.Item>
          </Col>
        </Row>
      </Form>
      {hq && (
        <Flex>
          <Space>
            <Button type="primary" loading={saving} onClick={() => void save()}>
              {t("save")}
            </Button>
          </Space>
        </Flex>
      )}
    </Card>
  );
}
