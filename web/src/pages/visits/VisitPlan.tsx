import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { Alert, App, Button, Card, DatePicker, Flex, Form, Input, Space, Typography } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { api, ok } from "../../api/client";
import { CustomerSelect } from "../../components/CustomerSelect";
import { ProblemAlert, showFieldErrors } from "../../components/Problem";
import { useUser } from "../../components/UserContext";
import { useT } from "../../i18n";
import { m } from "./messages";

interface Values {
  day: Dayjs;
  items: { customer_id?: string; purpose?: string }[];
}

export default function VisitPlan() {
  const t = useT(m);
  const user = useUser();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [error, setError] = useState<unknown>();
  const [saving, setSaving] = useState(false);

  async function submit(values: Values) {
    setSaving(true);
    setError(undefined);
    const day = values.day.format("YYYY-MM-DD");
    try {
      const body = {
        items: values.items.map((item, n) => ({ customer_id: item.customer_id as string, planned_on: day, sequence: n + 1, purpose: item.purpose || null })),
      };
      const planned = await ok(api().POST("/visit-plans", { body }));
      message.success(t("planned", { n: planned.items.length }));
      navigate(`/visits?on=${day}`);
    } catch (err) {
      showFieldErrors(form, err);
      setError(err);
    } finally {
      setSaving(false);
    }
  }

  return (
    <>
      <Typography.Title level={3}>{t("planFor", { name: user.name })}</Typography.Title>
      <Alert type="info" showIcon title={t("planHint")} style={{ marginBottom: 16 }} />
      <ProblemAlert error={error} onClose={() => setError(undefined)} />
      <Form<Values> form={form} layout="vertical" initialValues={{ day: dayjs().add(1, "day"), items: [{}] }} onFinish={(v) => void submit(v)}>
        <Card style={{ marginBottom: 16 }}>
          <Form.Item name="day" label={t("day")} rules={[{ required: true, message: t("needsDay") }]}>
            <DatePicker disabledDate={(d) => d.isBefore(dayjs(), "day")} />
          </Form.Item>
          <Typography.Text strong>{t("route")}</Typography.Text>
          <Form.List name="items">
            {(fields, { add, remove, move }) => (
              <div style={{ marginTop: 8 }}>
                {fields.map((field, index) => (
                  <Space key={field.key} align="center" wrap style={{ display: "flex" }}>
                    <Typography.Text strong style={{ width: 24, display: "inline-block" }}>{index + 1}.</Typography.Text>
                    <Form.Item name={[field.name, "customer_id"]} label={t("customer")} rules={[{ required: true, message: t("needsCustomer") }]}>
                      <CustomerSelect placeholder={t("chooseCustomer")} />
                    </Form.Item>
                    <Form.Item name={[field.name, "purpose"]} label={t("purpose")}>
                      <Input maxLength={500} style={{ width: 260 }} />
                    </Form.Item>
                    <Form.Item label=" " colon={false}>
                      <Space size={4}>
                        <Button icon={<ArrowUpOutlined />} disabled={index === 0} onClick={() => move(index, index - 1)}>
                          {t("moveUp")}
                        </Button>
                        <Button icon={<ArrowDownOutlined />} disabled={index === fields.length - 1} onClick={() => move(index, index + 1)}>
                          {t("moveDown")}
                        </Button>
                        <Button icon={<DeleteOutlined />} disabled={fields.length === 1} onClick={() => remove(field.name)}>
                          {t("remove")}
                        </Button>
                      </Space>
                    </Form.Item>
                  </Space>
                ))}
                <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({})}>
                  {t("addStop")}
                </Button>
              </div>
            )}
          </Form.List>
        </Card>
        <Flex gap={8}>
          <Button type="primary" htmlType="submit" loading={saving}>
            {t("submitPlan")}
          </Button>
          <Button onClick={() => navigate("/visits")}>{t("back")}</Button>
        </Flex>
      </Form>
    </>
  );
}
