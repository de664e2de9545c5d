import { Alert, App, Button, Card, Col, Form, InputNumber, Radio, Result, Row, Spin, Typography } from "antd";
import { useEffect, useState } from "react";
import { api, ApiProblem, withEtag, type Schemas } from "../../api/client";
import { ProblemAlert, showFieldErrors } from "../../components/Problem";
import { useRemote } from "../../components/useRemote";
import { hasRole, useUser } from "../../components/UserContext";
import { useT } from "../../i18n";
import { m } from "./messages";

const LEVELS = ["A", "B", "C", "D"] as const;

export default function VisitPolicy() {
  const t = useT(m);
  const user = useUser();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const policy = useRemote(() => withEtag(api().GET("/visit-policy")), []);
  const [error, setError] = useState<unknown>();
  const [conflict, setConflict] = useState(false);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    if (policy.data) form.setFieldsValue(policy.data.data);
  }, [policy.data, form]);

  if (!hasRole(user, "hq_admin")) return <Result status="403" title="403" />;
  if (policy.loading && !policy.data) return <Spin />;
  if (!policy.data) return <ProblemAlert error={policy.error} />;

  async function save() {
    const values = await form.validateFields();
    setSaving(true);
    setError(undefined);
    try {
      const frequency = Object.fromEntries(LEVELS.map((l) => [l, values.frequency?.[l] ?? 0]));
      const body = { geofence_radius_m: values.geofence_radius_m, outside_geofence: values.outside_geofence, frequency } as Schemas["VisitPolicy"];
      const saved = await withEtag(api().PUT("/visit-policy", { params: { header: { "if-match": policy.data?.etag ?? "0" } }, body }));
      policy.setData(saved);
      setConflict(false);
      message.success(t("policySaved"));
    } catch (err) {
      if (err instanceof ApiProblem && err.status === 412) {
        setConflict(true);
        policy.reload();
      } else {
        showFieldErrors(form, err);
        setError(err);
      }
    } finally {
      setSaving(false);
    }
  }

  return (
    <>
      <Typography.Title level={3}>{t("policy")}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("policyHint")}</Typography.Paragraph>
      {conflict && <Alert type="warning" showIcon role="alert" title={t("policyConflict")} style={{ marginBottom: 16 }} />}
      <ProblemAlert error={error} onClose={() => setError(undefined)} />
      <Form form={form} layout="vertical" onFinish={() => void save()}>
        <Card style={{ marginBottom: 16 }}>
          <Row gutter={16}>
            <Col xs={24} md={8}>
              <Form.Item name="geofence_radius_m" label={t("radius")} rules={[{ required: true }]}>
                <InputNumber min={10} max={50000} precision={0} style={{ width: "100%" }} />
              </Form.Item>
            </Col>
            <Col xs={24} md={16}>
              <Form.Item name="outside_geofence" label={t("outside")} rules={[{ required: true }]}>
                <Radio.Group
                  options={[
                    { value: "refuse", label: t("refuse") },
                    { value: "flag", label: t("flagIt") },
                  ]}
                />
              </Form.Item>
            </Col>
            {LEVELS.map((level) => (
              <Col xs={12} md={6} key={level}>
                <Form.Item name={["frequency", level]} label={t("frequencyOf", { level })}>
                  <InputNumber min={0} max={31} precision={0} style={{ width: "100%" }} />
                </Form.Item>
              </Col>
            ))}
          </Row>
        </Card>
        <Button type="primary" htmlType="submit" loading={saving}>
          {t("savePolicy")}
        </Button>
      </Form>
    </>
  );
}
