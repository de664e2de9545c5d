import { MinusCircleOutlined, PlusOutlined } from "@ant-design/icons";
import { Alert, App, Button, Card, Col, Descriptions, Flex, Form, Input, InputNumber, Result, Row, Space, Spin, Typography } from "antd";
import type { FormInstance } from "antd";
import { useEffect, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { api, ApiProblem, ok, withEtag, type Schemas } from "../../api/client";
import { CustomerSelect } from "../../components/CustomerSelect";
import { useDraft } from "../../components/draft";
import { ProblemAlert, showFieldErrors } from "../../components/Problem";
import { useRemote } from "../../components/useRemote";
import { hasRole, useUser } from "../../components/UserContext";
import { formatAmount, formatDateTime } from "../../format";
import { useLang, useT } from "../../i18n";
import { CUSTOMER_TYPES, name } from "../../labels";
import { type Order, OrderLines, shortId, useUserNames } from "./common";
import { isDecimal, lineAmount, sameAmount, sumAmounts } from "./decimal";
import { m } from "./messages";
import { ProductSelect } from "./ProductSelect";

type Quote = Schemas["PriceQuote"];
interface LineValues {
  sku?: string;
  quantity?: number;
  unit_price?: string;
  price_override_reason?: string;
}
interface Values {
  customer_id?: string;
  lines?: LineValues[];
  remarks?: string;
}
const OVERRIDERS = ["rep", "dept_head", "branch_head", "hq_admin"] as const; // order:price_override
const PRICE = /^(?:[1-9][0-9]{0,11}(?:\.[0-9]{1,4})?|0\.[0-9]{1,4})$/;

/** A 422's field errors, or a 409 naming its field, next to the fields; true if one was placed. */
function showProblemOnFields(form: FormInstance, error: unknown): boolean {
  if (showFieldErrors(form, error)) return true;
  if (!(error instanceof ApiProblem) || typeof error.problem.field !== "string") return false;
  const field = error.problem.field.split(".").map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  form.setFields([{ name: field, errors: [error.problem.detail || error.problem.title] }]);
  return true;
}

function body(values: Values): Schemas["OrderPatch"] & { lines: Schemas["LineIn"][] } {
  return {
    lines: (values.lines ?? []).map((l) => ({
      sku: l.sku ?? "",
      quantity: l.quantity ?? 0,
      unit_price: l.unit_price?.trim() || undefined,
      price_override_reason: l.unit_price?.trim() ? l.price_override_reason?.trim() || undefined : undefined,
    })),
    remarks: values.remarks?.trim() || null,
  };
}

export default function OrderForm() {
  const { id } = useParams();
  const editing = Boolean(id);
  const t = useT(m);
  const user = useUser();
  const who = useUserNames();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [base, setBase] = useState<Order>();
  const [etag, setEtag] = useState("");
  const [loadError, setLoadError] = useState<unknown>();
  const [error, setError] = useState<unknown>();
  const [fresh, setFresh] = useState<{ data: Order; etag: string }>();
  const [saving, setSaving] = useState<"save" | "submit">();
  const idempotency = useRef(crypto.randomUUID()); // one order however often a lost reply makes the user retry
  const draft = useDraft(editing ? `order-edit-${id}` : "order-new", form, !editing || Boolean(base));
  const chosenCustomer = Form.useWatch("customer_id", form);
  const lines = (Form.useWatch("lines", form) ?? []) as LineValues[];
  const mayOverride = hasRole(user, ...OVERRIDERS);

  useEffect(() => {
    if (!id) return;
    withEtag(api().GET("/orders/{order_id}", { params: { path: { order_id: id } } }))
      .then(({ data, etag }) => {
        setBase(data);
        setEtag(etag);
        form.setFieldsValue({
          customer_id: data.customer_id,
          remarks: data.remarks ?? undefined,
          lines: data.lines.map((l) => ({
            sku: l.sku,
            quantity: l.quantity,
            unit_price: l.price_override_reason ? l.unit_price : undefined,
            price_override_reason: l.price_override_reason ?? undefined,
          })),
        });
      })
      .catch(setLoadError);
  }, [id, form]);

  const customerId = base?.customer_id ?? chosenCustomer;
  const customer = useRemote(
    () => (customerId ? ok(api().GET("/customers/{customer_id}", { params: { path: { customer_id: customerId } } })) : Promise.resolve(undefined)),
    [customerId],
  );
  const quotes = useQuotes(customer.data, lines);

  const known = Object.fromEntries((base?.lines ?? []).map((l) => [l.sku, l]));
  const amounts = lines.map((l) => {
    const price = l.unit_price?.trim() && isDecimal(l.unit_price) ? l.unit_price.trim() : l.sku ? quotes.get(l.sku)?.unit_price : undefined;
    return price && l.quantity ? lineAmount(price, l.quantity) : undefined;
  });
  const total = sumAmounts(amounts.filter((a): a is string => Boolean(a)));

  async function save(then: "save" | "submit") {
    const values = await form.validateFields();
    setSaving(then);
    setError(undefined);
    try {
      let saved: { data: Order; etag: string };
      if (id) {
        saved = await withEtag(api().PATCH("/orders/{order_id}", { params: { path: { order_id: id }, header: { "if-match": etag } }, body: body(values) }));
      } else {
        saved = await withEtag(
          api().POST("/orders", {
            params: { header: { "idempotency-key": idempotency.current } },
            body: { customer_id: values.customer_id, ...body(values) },
          }),
        );
      }
      draft.clear();
      if (then === "save") {
        message.success(t("saved"));
        navigate(`/orders/${saved.data.id}`);
        return;
      }
      try {
        await ok(
          api().POST("/orders/{order_id}/submit", {
            params: { path: { order_id: saved.data.id }, header: { "if-match": saved.etag, "idempotency-key": `${idempotency.current}-submit` } },
            body: {},
          }),
        );
        message.success(t("submitted"));
        navigate(`/orders/${saved.data.id}`);
      } catch (err) {
        // Saved, not submitted: the order page shows why, and offers the submit again.
        navigate(`/orders/${saved.data.id}`, { state: { submitError: err instanceof ApiProblem ? err.problem : String(err) } });
      }
    } catch (err) {
      if (err instanceof ApiProblem && err.status === 412 && id) {
        setFresh(await withEtag(api().GET("/orders/{order_id}", { params: { path: { order_id: id } } })));
      } else {
        showProblemOnFields(form, err);
        setError(err);
      }
    } finally {
      setSaving(undefined);
    }
  }

  if (loadError) {
    const missing = loadError instanceof ApiProblem && loadError.status === 404;
    return missing ? <Result status="404" title={t("notFound")} extra={<Link to="/orders">{t("back")}</Link>} /> : <ProblemAlert error={loadError} />;
  }
  if (editing && !base) return <Spin />;

  return (
    <>
      <Typography.Title level={3}>{base ? t("editTitle", { no: shortId(base.id) }) : t("newOrder")}</Typography.Title>
      {fresh && (
        <Alert
          type="warning"
          showIcon
          role="alert"
          data-testid="conflict"
          title={t("conflictTitle")}
          description={
            <>
              <p>{t("conflictBody", { who: who(fresh.data.updated_by), at: formatDateTime(fresh.data.updated_at) })}</p>
              <OrderLines order={fresh.data} />
              {fresh.data.remarks && <p style={{ marginTop: 8 }}>{`${t("remarks")}: ${fresh.data.remarks}`}</p>}
              <Button
                style={{ marginTop: 12 }}
                onClick={() => {
                  setBase(fresh.data);
                  setEtag(fresh.etag);
                  setFresh(undefined);
                }}
              >
                {t("useFresh")}
              </Button>
            </>
          }
          style={{ marginBottom: 16 }}
        />
      )}
      <ProblemAlert error={error} onClose={() => setError(undefined)} />
      <Form form={form} layout="vertical" onValuesChange={draft.save} initialValues={editing ? undefined : { lines: [{ quantity: 1 }] }}>
        <Card title={t("customer")} size="small" style={{ marginBottom: 16 }}>
          <Row gutter={16} align="bottom">
            <Col xs={24} md={12}>
              {base ? (
                <Form.Item label={t("customer")}>
                  <Typography.Text strong>{base.customer_name}</Typography.Text>
                </Form.Item>
              ) : (
                <Form.Item name="customer_id" label={t("customer")} rules={[{ required: true }]}>
                  <CustomerSelect id="customer_id" />
                </Form.Item>
              )}
            </Col>
            <Col xs={24} md={12}>
              <CustomerFacts customer={customer.data} />
            </Col>
          </Row>
          <ProblemAlert error={customer.error} />
        </Card>
        <Card title={t("lines")} size="small" style={{ marginBottom: 16 }}>
          <LineHeader mayOverride={mayOverride} />
          <Form.List
            name="lines"
            rules={[{ validator: async (_, value) => ((value ?? []).length ? undefined : Promise.reject(new Error(t("addLine")))) }]}
          >
            {(fields, { add, remove }, { errors }) => (
              <>
                {fields.map((field, index) => (
                  <LineRow
                    key={field.key}
                    index={index}
                    fieldName={field.name}
                    line={lines[index] ?? {}}
                    quote={lines[index]?.sku ? quotes.get(lines[index].sku as string) : undefined}
                    quoting={Boolean(customer.data && lines[index]?.sku && !quotes.has(lines[index].sku as string))}
                    customerChosen={Boolean(customer.data)}
                    amount={amounts[index]}
                    known={lines[index]?.sku ? known[lines[index].sku as string] : undefined}
                    mayOverride={mayOverride}
                    onRemove={() => remove(field.name)}
                  />
                ))}
                <Form.ErrorList errors={errors} />
                <Flex justify="space-between" align="center" style={{ marginTop: 8 }}>
                  <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ quantity: 1 })}>
                    {t("addLine")}
                  </Button>
                  <Typography.Text strong data-testid="form-total">
                    {`${t("total")}: ${formatAmount(total)}`}
                  </Typography.Text>
                </Flex>
              </>
            )}
          </Form.List>
        </Card>
        <Form.Item name="remarks" label={t("remarks")}>
          <Input.TextArea rows={2} maxLength={500} />
        </Form.Item>
        <Space wrap>
          <Button type="primary" loading={saving === "submit"} disabled={Boolean(saving)} onClick={() => void save("submit")}>
            {t("saveAndSubmit")}
          </Button>
          <Button loading={saving === "save"} disabled={Boolean(saving)} onClick={() => void save("save")}>
            {t("save")}
          </Button>
          <Button
            onClick={() => {
              draft.clear();
              navigate(id ? `/orders/${id}` : "/orders");
            }}
          >
            {t("cancel")}
          </Button>
        </Space>
      </Form>
    </>
  );
}

/** The price list's price for each chosen SKU at the customer's type and level (null: it has none). */
function useQuotes(customer: Schemas["Customer"] | undefined, lines: LineValues[]): Map<string, Quote | null> {
  const [quotes, setQuotes] = useState(new Map<string, Quote | null>());
  const skus = [...new Set(lines.map((l) => l.sku).filter((s): s is string => Boolean(s)))];
  const who = customer ? `${customer.type}|${customer.level ?? ""}` : "";
  const [forWhom, setForWhom] = useState(who);
  if (forWhom !== who) {
    setForWhom(who);
    setQuotes(new Map());
  }
  useEffect(() => {
    if (!customer) return;
    for (const sku of skus) {
      if (quotes.has(sku)) continue;
      ok(
        api().GET("/products/{sku}/price", {
          params: { path: { sku }, query: { customer_type: customer.type, level: customer.level ?? undefined } },
        }),
      )
        .then((quote) => setQuotes((q) => new Map(q).set(sku, quote)))
        .catch(() => setQuotes((q) => new Map(q).set(sku, null)));
    }
  }, [who, skus.join(","), quotes]); // eslint-disable-line react-hooks/exhaustive-deps
  return quotes;
}

function CustomerFacts({ customer }: { customer?: Schemas["Customer"] }) {
  const t = useT(m);
  const { lang } = useLang();
  if (!customer) return null;
  return (
    <Descriptions size="small" column={2} style={{ marginBottom: 24 }}>
      <Descriptions.Item label={t("customerType")}>{name(CUSTOMER_TYPES, customer.type, lang)}</Descriptions.Item>
      <Descriptions.Item label={t("customerLevel")}>{customer.level ?? t("noLevel")}</Descriptions.Item>
    </Descriptions>
  );
}

const SPANS = { product: 8, quantity: 3, list: 3, override: 3, reason: 4, amount: 2 };

function LineHeader({ mayOverride }: { mayOverride: boolean }) {
  const t = useT(m);
  const text = (label: string) => <Typography.Text type="secondary">{label}</Typography.Text>;
  return (
    <Row gutter={8} style={{ marginBottom: 4 }} aria-hidden>
      <Col span={SPANS.product}>{text(t("product"))}</Col>
      <Col span={SPANS.quantity}>{text(t("quantity"))}</Col>
      <Col span={SPANS.list}>{text(t("listPrice"))}</Col>
      {mayOverride && <Col span={SPANS.override}>{text(t("overridePrice"))}</Col>}
      {mayOverride && <Col span={SPANS.reason}>{text(t("overrideReason"))}</Col>}
      <Col span={SPANS.amount} style={{ textAlign: "right" }}>
        {text(t("amount"))}
      </Col>
    </Row>
  );
}

function LineRow(props: {
  index: number;
  fieldName: number;
  line: LineValues;
  quote: Quote | null | undefined;
  quoting: boolean;
  customerChosen: boolean;
  amount?: string;
  known?: { sku: string; name: string; spec: string };
  mayOverride: boolean;
  onRemove: () => void;
}) {
  const t = useT(m);
  const { index, fieldName, line, quote } = props;
  const n = index + 1;
  const overridden = Boolean(line.unit_price?.trim()) && !(quote && isDecimal(line.unit_price ?? "") && sameAmount(line.unit_price ?? "", quote.unit_price));
  const listPrice = !line.sku ? "—" : !props.customerChosen ? t("chooseCustomerFirst") : props.quoting ? "…" : quote ? formatAmount(quote.unit_price) : t("noPrice");
  return (
    <Row gutter={8} align="top" data-testid={`line-${n}`}>
      <Col span={SPANS.product}>
        <Form.Item name={[fieldName, "sku"]} rules={[{ required: true, message: t("searchProduct") }]}>
          <ProductSelect aria-label={`${t("product")} ${n}`} known={props.known} />
        </Form.Item>
      </Col>
      <Col span={SPANS.quantity}>
        <Form.Item name={[fieldName, "quantity"]} rules={[{ required: true }]}>
          <InputNumber aria-label={`${t("quantity")} ${n}`} min={1} max={10_000_000} precision={0} style={{ width: "100%" }} />
        </Form.Item>
      </Col>
      <Col span={SPANS.list}>
        <div style={{ paddingTop: 5 }} data-testid={`list-price-${n}`}>
          <Typography.Text type={quote === null && props.customerChosen && line.sku ? "warning" : undefined}>{listPrice}</Typography.Text>
        </div>
      </Col>
      {props.mayOverride && (
        <Col span={SPANS.override}>
          <Form.Item name={[fieldName, "unit_price"]} rules={[{ pattern: PRICE, message: t("priceFormat") }]}>
            <Input aria-label={`${t("overridePrice")} ${n}`} inputMode="decimal" placeholder={quote?.unit_price} allowClear />
          </Form.Item>
        </Col>
      )}
      {props.mayOverride && (
        <Col span={SPANS.reason}>
          <Form.Item
            name={[fieldName, "price_override_reason"]}
            dependencies={[["lines", fieldName, "unit_price"]]}
            rules={[{ required: overridden, message: t("reasonRequired") }, { max: 500 }]}
          >
            <Input aria-label={`${t("overrideReason")} ${n}`} disabled={!overridden} />
          </Form.Item>
        </Col>
      )}
      <Col span={SPANS.amount} style={{ textAlign: "right", paddingTop: 5 }}>
        <Typography.Text data-testid={`amount-${n}`}>{formatAmount(props.amount)}</Typography.Text>
      </Col>
      <Col flex="none" style={{ paddingTop: 5 }}>
        <MinusCircleOutlined aria-label={t("removeLine")} role="button" onClick={props.onRemove} />
      </Col>
    </Row>
  );
}
