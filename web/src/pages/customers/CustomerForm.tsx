import { MinusCircleOutlined, PlusOutlined } from "@ant-design/icons";
import { Alert, App, Button, Card, Col, Descriptions, Flex, Form, Input, InputNumber, List, Result, Row, Select, Space, Spin, Switch, Typography } from "antd";
import { useEffect, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { api, ApiProblem, ok, withEtag, type Schemas } from "../../api/client";
import { useDraft } from "../../components/draft";
import { ProblemAlert, showFieldErrors } from "../../components/Problem";
import { CustomerSelect } from "../../components/CustomerSelect";
import { hasRole, useUser } from "../../components/UserContext";
import { formatDateTime } from "../../format";
import { useLang, useT } from "../../i18n";
import { CUSTOMER_TYPES, DISTRIBUTOR_TIERS, options, PERSON_KINDS, TERMINAL_KINDS, TRADES } from "../../labels";
import { MANAGERS } from "../../modules";
import { m } from "./messages";

type Customer = Schemas["Customer"];
type Candidate = Schemas["DuplicateCandidate"];
const DECIMAL = /^\d+(\.\d+)?$/;

/** The fields a save sends: what differs from the record the edit started from (all of them for a new one). */
function changes(values: Record<string, unknown>, base?: Customer): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const before = base ? (base as unknown as Record<string, unknown>)[key] : undefined;
    if (!base || JSON.stringify(value) !== JSON.stringify(before ?? null)) body[key] = value === "" ? null : value;
  }
  return body;
}

export default function CustomerForm() {
  const { id } = useParams();
  const editing = Boolean(id);
  const t = useT(m);
  const { lang } = useLang();
  const user = useUser();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [base, setBase] = useState<Customer>(); // the record this edit started from
  const [etag, setEtag] = useState("");
  const [loadError, setLoadError] = useState<unknown>();
  const [error, setError] = useState<unknown>();
  const [candidates, setCandidates] = useState<Candidate[]>();
  const [fresh, setFresh] = useState<{ data: Customer; etag: string }>();
  const [saving, setSaving] = useState(false);
  const draft = useDraft(editing ? `customer-edit-${id}` : "customer-new", form, !editing || Boolean(base));
  const type = Form.useWatch(["profile", "type"], form) as Customer["type"] | undefined;

  useEffect(() => {
    if (!id) return;
    withEtag(api().GET("/customers/{customer_id}", { params: { path: { customer_id: id } } }))
      .then(({ data, etag }) => {
        setBase(data);
        setEtag(etag);
        form.setFieldsValue(data);
      })
      .catch(setLoadError);
  }, [id, form]);

  async function save(skipDuplicateCheck = false) {
    const values = await form.validateFields();
    setSaving(true);
    setError(undefined);
    setCandidates(undefined);
    const headers = skipDuplicateCheck ? { "x-skip-duplicate-check": "true" } : {};
    try {
      let saved: Customer;
      if (id) {
        const body = changes(values, base) as Schemas["CustomerPatch"];
        saved = await ok(
          api().PATCH("/customers/{customer_id}", { params: { path: { customer_id: id }, header: { "if-match": etag, ...headers } }, body }),
        );
        message.success(t("saved"));
      } else {
        saved = await ok(api().POST("/customers", { params: { header: headers }, body: changes(values) as Schemas["CustomerCreate"] }));
        message.success(t("created"));
      }
      draft.clear();
      navigate(`/customers/${saved.id}`);
    } catch (err) {
      if (err instanceof ApiProblem && err.status === 409 && err.problem.candidates?.length) setCandidates(err.problem.candidates);
      else if (err instanceof ApiProblem && err.status === 412 && id) {
        setFresh(await withEtag(api().GET("/customers/{customer_id}", { params: { path: { customer_id: id } } })));
      } else {
        showFieldErrors(form, err);
        setError(err);
      }
    } finally {
      setSaving(false);
    }
  }

  function takeFresh() {
    if (!fresh) return;
    setEtag(fresh.etag); // the user's changes (the diff from the old base) go onto the fresh record
    setFresh(undefined);
  }

  if (loadError) {
    const missing = loadError instanceof ApiProblem && loadError.status === 404;
    return missing ? <Result status="404" title={t("notFound")} extra={<Link to="/customers">{t("back")}</Link>} /> : <ProblemAlert error={loadError} />;
  }
  if (editing && !base) return <Spin />;

  return (
    <>
      <Typography.Title level={3}>{editing ? `${t("edit")} · ${base?.name}` : t("newCustomer")}</Typography.Title>
      {fresh && (
        <Alert
          type="warning"
          showIcon
          role="alert"
          data-testid="conflict"
          title={t("conflictTitle")}
          description={
            <>
              <p>{t("conflictBody", { who: fresh.data.updated_by, at: formatDateTime(fresh.data.updated_at) })}</p>
              <Descriptions size="small" column={{ xs: 1, md: 2 }} bordered>
                <Descriptions.Item label={t("name")}>{fresh.data.name}</Descriptions.Item>
                <Descriptions.Item label={t("phone")}>{fresh.data.phone ?? "—"}</Descriptions.Item>
                <Descriptions.Item label={t("address")}>{fresh.data.address ?? "—"}</Descriptions.Item>
                <Descriptions.Item label={t("city")}>{fresh.data.region?.city ?? "—"}</Descriptions.Item>
                <Descriptions.Item label={t("code")}>{fresh.data.code ?? "—"}</Descriptions.Item>
                <Descriptions.Item label={t("remarks")}>{fresh.data.remarks ?? "—"}</Descriptions.Item>
              </Descriptions>
              <Button style={{ marginTop: 12 }} onClick={takeFresh}>
                {t("useFresh")}
              </Button>
            </>
          }
          style={{ marginBottom: 16 }}
        />
      )}
      {candidates && (
        <Alert
          type="warning"
          showIcon
          role="alert"
          data-testid="duplicates"
          title={t("duplicateTitle")}
          description={
            <>
              <p>{t("duplicateBody")}</p>
              <List
                size="small"
                dataSource={candidates}
                renderItem={(c) => (
                  <List.Item>
                    <Link to={`/customers/${c.customer_id}`} target="_blank">
                      {c.matched}
                    </Link>
                    <Typography.Text type="secondary">{c.kind === "alias" ? t("aliases") : t("matched")}</Typography.Text>
                  </List.Item>
                )}
              />
              {hasRole(user, ...MANAGERS) && (
                <Button danger style={{ marginTop: 8 }} onClick={() => void save(true)}>
                  {editing ? t("saveAnyway") : t("createAnyway")}
                </Button>
              )}
            </>
          }
          style={{ marginBottom: 16 }}
        />
      )}
      <ProblemAlert error={error} onClose={() => setError(undefined)} />
      <Form
        form={form}
        layout="vertical"
        onValuesChange={draft.save}
        initialValues={editing ? undefined : { profile: { type: "terminal", kind: "pharmacy" }, status: "prospect" }}
        onFinish={() => void save()}
      >
        <Card title={t("tabProfile")} style={{ marginBottom: 16 }}>
          <Row gutter={16}>
            <Col xs={24} md={12}>
              <Form.Item name="name" label={t("name")} rules={[{ required: true, max: 200 }]}>
                <Input />
              </Form.Item>
            </Col>
            <Col xs={12} md={6}>
              <Form.Item name={["profile", "type"]} label={t("type")} rules={[{ required: true }]}>
                <Select disabled={editing} options={options(CUSTOMER_TYPES, lang)} />
              </Form.Item>
            </Col>
            <Col xs={12} md={6}>
              <Form.Item name="code" label={t("code")}>
                <Input />
              </Form.Item>
            </Col>
            <Col xs={12} md={6}>
              <Form.Item name="trade" label={t("trade")}>
                <Select allowClear options={options(TRADES, lang)} />
              </Form.Item>
            </Col>
            <Col xs={12} md={6}>
              <Form.Item name="phone" label={t("phone")}>
                <Input inputMode="tel" />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item name="upstream_id" label={t("upstream")}>
                <CustomerSelect type="distributor" />
              </Form.Item>
            </Col>
            <Col xs={8} md={6}>
              <Form.Item name={["region", "province"]} label={t("province")}>
                <Input />
              </Form.Item>
            </Col>
            <Col xs={8} md={6}>
              <Form.Item name={["region", "city"]} label={t("city")}>
                <Input />
              </Form.Item>
            </Col>
            <Col xs={8} md={6}>
              <Form.Item name={["region", "county"]} label={t("county")}>
                <Input />
              </Form.Item>
            </Col>
            <Col xs={24} md={6}>
              <Form.Item name="aliases" label={t("aliases")}>
                <Select mode="tags" open={false} tokenSeparators={[",", "，"]} />
              </Form.Item>
            </Col>
            <Col xs={24}>
              <Form.Item name="address" label={t("address")}>
                <Input />
              </Form.Item>
            </Col>
          </Row>
          <ProfileFields type={type} />
          <Form.Item name="remarks" label={t("remarks")}>
            <Input.TextArea rows={2} maxLength={2000} />
          </Form.Item>
        </Card>
        <Card title={t("contacts")} style={{ marginBottom: 16 }}>
          <Form.List name="contacts">
            {(fields, { add, remove }) => (
              <>
                {fields.map((field) => (
                  <Space key={field.key} align="baseline" wrap>
                    <Form.Item name={[field.name, "name"]} rules={[{ required: true }]} label={t("contactName")}>
                      <Input />
                    </Form.Item>
                    <Form.Item name={[field.name, "role"]} label={t("contactRole")}>
                      <Input />
                    </Form.Item>
                    <Form.Item name={[field.name, "phones"]} label={t("contactPhones")}>
                      <Select mode="tags" open={false} style={{ minWidth: 200 }} tokenSeparators={[",", " "]} />
                    </Form.Item>
                    <MinusCircleOutlined aria-label="remove" onClick={() => remove(field.name)} />
                  </Space>
                ))}
                <Button type="dashed" onClick={() => add({ phones: [] })} icon={<PlusOutlined />}>
                  {t("addContact")}
                </Button>
              </>
            )}
          </Form.List>
        </Card>
        <Flex gap={8}>
          <Button type="primary" htmlType="submit" loading={saving}>
            {editing ? t("save") : t("create")}
          </Button>
          <Button
            onClick={() => {
              draft.clear();
              navigate(id ? `/customers/${id}` : "/customers");
            }}
          >
            {t("cancel")}
          </Button>
        </Flex>
      </Form>
    </>
  );
}

function ProfileFields({ type }: { type?: Customer["type"] }) {
  const t = useT(m);
  const { lang } = useLang();
  const decimal = [{ pattern: DECIMAL, message: "0.00" }];
  if (type === "terminal")
    return (
      <Row gutter={16}>
        <Col xs={12} md={6}>
          <Form.Item name={["profile", "kind"]} label={t("kind")} rules={[{ required: true }]}>
            <Select options={options(TERMINAL_KINDS, lang)} />
          </Form.Item>
        </Col>
        <Col xs={12} md={6}>
          <Form.Item name={["profile", "chain_name"]} label={t("chainName")}>
            <Input />
          </Form.Item>
        </Col>
        <Col xs={12} md={6}>
          <Form.Item name={["profile", "hospital_grade"]} label={t("hospitalGrade")}>
            <Input />
          </Form.Item>
        </Col>
        <Col xs={12} md={6}>
          <Form.Item name={["profile", "beds"]} label={t("beds")}>
            <InputNumber min={0} precision={0} style={{ width: "100%" }} />
          </Form.Item>
        </Col>
        <Col xs={12} md={6}>
          <Form.Item name={["profile", "license_no"]} label={t("licenseNo")}>
            <Input />
          </Form.Item>
        </Col>
        <Col xs={12} md={6}>
          <Form.Item name={["profile", "credit_limit"]} label={t("creditLimit")} rules={decimal}>
            <Input inputMode="decimal" />
          </Form.Item>
        </Col>
        <Col xs={12} md={6}>
          <Form.Item name={["profile", "medical_insurance"]} label={t("medicalInsurance")} valuePropName="checked">
            <Switch />
          </Form.Item>
        </Col>
      </Row>
    );
  if (type === "distributor")
    return (
      <Row gutter={16}>
        <Col xs={12} md={6}>
          <Form.Item name={["profile", "tier"]} label={t("tier")} rules={[{ required: true }]}>
            <Select options={options(DISTRIBUTOR_TIERS, lang)} />
          </Form.Item>
        </Col>
        <Col xs={12} md={6}>
          <Form.Item name={["profile", "license_no"]} label={t("licenseNo")}>
            <Input />
          </Form.Item>
        </Col>
        <Col xs={12} md={6}>
          <Form.Item name={["profile", "credit_limit"]} label={t("creditLimit")} rules={decimal}>
            <Input inputMode="decimal" />
          </Form.Item>
        </Col>
        <Col xs={12} md={6}>
          <Form.Item name={["profile", "annual_sales"]} label={t("annualSales")} rules={decimal}>
            <Input inputMode="decimal" />
          </Form.Item>
        </Col>
        <Col xs={24} md={12}>
          <Form.Item name={["profile", "warehouse_address"]} label={t("warehouseAddress")}>
            <Input />
          </Form.Item>
        </Col>
        <Col xs={12} md={6}>
          <Form.Item name={["profile", "territory", "provinces"]} label={t("territoryProvinces")}>
            <Select mode="tags" open={false} />
          </Form.Item>
        </Col>
        <Col xs={12} md={6}>
          <Form.Item name={["profile", "territory", "cities"]} label={t("territoryCities")}>
            <Select mode="tags" open={false} />
          </Form.Item>
        </Col>
      </Row>
    );
  if (type === "person")
    return (
      <Row gutter={16}>
        <Col xs={12} md={6}>
          <Form.Item name={["profile", "kind"]} label={t("kind")} rules={[{ required: true }]}>
            <Select options={options(PERSON_KINDS, lang)} />
          </Form.Item>
        </Col>
        <Col xs={12} md={6}>
          <Form.Item name={["profile", "employer_name"]} label={t("employer")}>
            <Input />
          </Form.Item>
        </Col>
        <Col xs={12} md={6}>
          <Form.Item name={["profile", "position"]} label={t("position")}>
            <Input />
          </Form.Item>
        </Col>
        <Col xs={12} md={6}>
          <Form.Item name={["profile", "department"]} label={t("department")}>
            <Input />
          </Form.Item>
        </Col>
      </Row>
    );
  if (type === "other")
    return (
      <Form.Item name={["profile", "description"]} label={t("description")}>
        <Input />
      </Form.Item>
    );
  return null;
}

