import { Alert, App, Button, Card, Col, Flex, Form, Input, InputNumber, Result, Row, Select, Spin, Typography } from "antd";
import { useEffect, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { api, ApiProblem, ok, withEtag, type Schemas } from "../../api/client";
import { ProblemAlert, showFieldErrors } from "../../components/Problem";
import { useDraft } from "../../components/draft";
import { formatDateTime } from "../../format";
import { useT } from "../../i18n";
import { m } from "./messages";

type Product = Schemas["Product"];
const FIELDS = ["name", "spec", "base_unit", "case_size", "category", "status"] as const;

export default function ProductForm() {
  const { sku } = useParams();
  const editing = Boolean(sku);
  const t = useT(m);
  const navigate = useNavigate();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [base, setBase] = useState<Product>();
  const [etag, setEtag] = useState("");
  const [loadError, setLoadError] = useState<unknown>();
  const [error, setError] = useState<unknown>();
  const [conflict, setConflict] = useState<Product>();
  const [saving, setSaving] = useState(false);
  const draft = useDraft(editing ? `product-edit-${sku}` : "product-new", form, !editing || Boolean(base));

  useEffect(() => {
    if (!sku) return;
    withEtag(api().GET("/products/{sku}", { params: { path: { sku } } }))
      .then(({ data, etag }) => {
        setBase(data);
        setEtag(etag);
        form.setFieldsValue(data);
      })
      .catch(setLoadError);
  }, [sku, form]);

  async function save() {
    const values = await form.validateFields();
    setSaving(true);
    setError(undefined);
    try {
      let saved: Product;
      if (sku && base) {
        // Only what changed from the version the edit started from.
        const body = Object.fromEntries(
          FIELDS.filter((f) => (values[f] ?? null) !== (base[f] ?? null)).map((f) => [f, values[f] === "" ? null : values[f]]),
        ) as Schemas["ProductPatch"];
        saved = await ok(api().PATCH("/products/{sku}", { params: { path: { sku }, header: { "if-match": etag } }, body }));
        message.success(t("saved"));
      } else {
        const body = { ...values, category: values.category || null } as Schemas["ProductCreate"];
        saved = await ok(api().POST("/products", { body }));
        message.success(t("created"));
      }
      draft.clear();
      navigate(`/products/${encodeURIComponent(saved.sku)}`);
    } catch (err) {
      if (err instanceof ApiProblem && err.status === 412 && sku) {
        const fresh = await withEtag(api().GET("/products/{sku}", { params: { path: { sku } } }));
        setBase(fresh.data);
        setEtag(fresh.etag);
        setConflict(fresh.data);
      } else {
        showFieldErrors(form, err);
        setError(err);
      }
    } finally {
      setSaving(false);
    }
  }

  if (loadError) {
    return loadError instanceof ApiProblem && loadError.status === 404 ? (
      <Result status="404" title={t("notFound")} extra={<Link to="/products">{t("back")}</Link>} />
    ) : (
      <ProblemAlert error={loadError} />
    );
  }
  if (editing && !base) return <Spin />;

  return (
    <>
      <Typography.Title level={3}>{editing ? `${t("edit")} · ${base?.name}` : t("newProduct")}</Typography.Title>
      {conflict && (
        <Alert
          type="warning"
          showIcon
          role="alert"
          title={t("conflictTitle")}
          description={t("conflictBody", { who: conflict.updated_by ?? "", at: formatDateTime(conflict.updated_at) })}
          style={{ marginBottom: 16 }}
        />
      )}
      <ProblemAlert error={error} onClose={() => setError(undefined)} />
      <Form form={form} layout="vertical" onValuesChange={draft.save} initialValues={editing ? undefined : { status: "active", case_size: 1 }} onFinish={() => void save()}>
        <Card style={{ marginBottom: 16 }}>
          <Row gutter={16}>
            <Col xs={24} md={8}>
              <Form.Item name="sku" label={t("sku")} extra={t("skuHelp")} rules={[{ required: !editing }, { pattern: /^[A-Za-z0-9._-]{1,40}$/, message: "A-Z 0-9 . _ -" }]}>
                <Input disabled={editing} />
              </Form.Item>
            </Col>
            <Col xs={24} md={16}>
              <Form.Item name="name" label={t("name")} rules={[{ required: true, max: 200 }]}>
                <Input />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="spec" label={t("spec")} rules={[{ required: true, max: 200 }]}>
                <Input />
              </Form.Item>
            </Col>
            <Col xs={12} md={4}>
              <Form.Item name="base_unit" label={t("baseUnit")} rules={[{ required: true, max: 20 }]}>
                <Input />
              </Form.Item>
            </Col>
            <Col xs={12} md={4}>
              <Form.Item name="case_size" label={t("caseSize")} tooltip={t("caseSizeHelp")} rules={[{ required: true }]}>
                <InputNumber min={1} max={1000000} precision={0} style={{ width: "100%" }} />
              </Form.Item>
            </Col>
            <Col xs={12} md={4}>
              <Form.Item name="category" label={t("category")} rules={[{ max: 50 }]}>
                <Input />
              </Form.Item>
            </Col>
            <Col xs={12} md={4}>
              <Form.Item name="status" label={t("status")}>
                <Select
                  options={[
                    { value: "active", label: t("active") },
                    { value: "inactive", label: t("inactive") },
                  ]}
                />
              </Form.Item>
            </Col>
          </Row>
        </Card>
        <Flex gap={8}>
          <Button type="primary" htmlType="submit" loading={saving}>
            {editing ? t("save") : t("create")}
          </Button>
          <Button
            onClick={() => {
              draft.clear();
              navigate(sku ? `/products/${encodeURIComponent(sku)}` : "/products");
            }}
          >
            {t("cancel")}
          </Button>
        </Flex>
      </Form>
    </>
  );
}
