import { Alert, Button, Card, Form, Input, Typography } from "antd";
import { useState } from "react";
import { api, ok, type Schemas } from "../../api/client";
import { ProblemAlert } from "../../components/Problem";
import { UserSelect } from "../../components/UserSelect";
import { useT } from "../../i18n";
import { m } from "./messages";

/** A leaving rep's customers, open orders and planned visits go to a colleague (a job; the page follows it). */
export default function Handover() {
  const t = useT(m);
  const [form] = Form.useForm();
  const [job, setJob] = useState<Schemas["Handover"]>();
  const [error, setError] = useState<unknown>();

  async function start(values: Schemas["HandoverRequest"]) {
    setError(undefined);
    try {
      let current = await ok(api().POST("/handovers", { body: values }));
      setJob(current);
      while (current.status === "running") {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        current = await ok(api().GET("/handovers/{handover_id}", { params: { path: { handover_id: current.id } } }));
        setJob(current);
      }
    } catch (err) {
      setError(err);
    }
  }

  return (
    <>
      <Typography.Title level={3}>{t("handover")}</Typography.Title>
      <ProblemAlert error={error} />
      {job && (
        <Alert
          style={{ marginBottom: 16 }}
          type={job.status === "completed" ? "success" : job.status === "failed" ? "error" : "info"}
          title={job.status === "running" ? t("handoverRunning") : job.status === "completed" ? t("handoverDone", { n: job.moved }) : job.error}
        />
      )}
      <Card style={{ maxWidth: 560 }}>
        <Form form={form} layout="vertical" onFinish={(values) => void start(values)}>
          <Form.Item name="from_user_id" label={t("fromUser")} rules={[{ required: true }]}>
            <UserSelect activeOnly />
          </Form.Item>
          <Form.Item name="to_user_id" label={t("toUser")} rules={[{ required: true }]}>
            <UserSelect activeOnly />
          </Form.Item>
          <Form.Item name="reason" label={t("reason")} rules={[{ required: true }]}>
            <Input.TextArea rows={2} />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={job?.status === "running"}>
            {t("handoverStart")}
          </Button>
        </Form>
      </Card>
    </>
  );
}
