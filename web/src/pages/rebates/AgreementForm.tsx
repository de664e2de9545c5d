import { MinusCircleOutlined, PlusOutlined } from "@ant-design/icons";
import { App, Button, Card, DatePicker, Flex, Form, Input, Select, Spin, Switch, Typography } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useEffect, useState } from "react";
import { useNavigate, useParams } from "react-router-dom";
import { api, ok, withEtag, type Schemas } from "../../api/client";
import { CustomerSelect } from "../../components/CustomerSelect";
import { ProblemAlert, showFieldErrors } from "../../components/Problem";
import { useRemote } from "../../components/useRemote";
import { useLang, useT } from "../../i18n";
import { options } from "../../labels";
import { useProductNames } from "../channel/common";
import { BASES, m, MEASURES, THRESHOLDS } from "./messages";

type Terms = Schemas["TermsInput"];
type Rate = "percent" | "per_unit";

/** The form's shape: the API's terms, with months as dates, each tier's rate as kind + value, a target as measure + value. */
interface Values {
  customer_id?: string;
  name: string;
  months: [Dayjs, Dayjs];
  provinces: string[];
  cities: string[];
  products: { sku: string; group: string; price: string; price_level?: string }[];
  targets: { group: string; period: string; measure: "quantity" | "amount"; value: string }[];
  rules: {
    name: string;
    group?: string | null;
    basis: Schemas["RuleInput"]["basis"];
    measure: "quantity" | "amount";
    threshold_of: "value" | "target";
    tiers: { threshold: string; rate: Rate; value: string }[];
    no_confirmed_diversion?: boolean;
    max_stock_months?: string;
    min_match_rate?: string;
    cap?: string;
  }[];
}

const blank = (text: string | undefined | null) => (text && text.trim() ? text.trim() : null);

function toTerms(v: Values): Terms {
  const territory = v.provinces?.length || v.cities?.length ? { provinces: v.provinces ?? [], cities: v.cities ?? [] } : null;
  return {
    name: v.name,
    valid_from: v.months[0].format("YYYY-MM"),
    valid_to: v.months[1].format("YYYY-MM"),
    territory,
    products: v.products.map((p) => ({ sku: p.sku, group: p.group, price: p.price, price_level: blank(p.price_level) })),
    targets: (v.targets ?? []).map((x) => ({ group: x.group, period: x.period, [x.measure]: x.value })),
    rules: (v.rules ?? []).map((r) => ({
      name: r.name,
      group: r.group || null,
      basis: r.basis,
      measure: r.measure,
      threshold_of: r.threshold_of,
      tiers: r.tiers.map((tier) => ({ threshold: tier.threshold, [tier.rate]: tier.value })),
      conditions: {
        no_confirmed_diversion: Boolean(r.no_confirmed_diversion),
        max_stock_months: blank(r.max_stock_months),
        min_match_rate: blank(r.min_match_rate),
      },
      cap: blank(r.cap),
    })),
  };
}

function toValues(terms: Schemas["Terms"]): Values {
  return {
    name: terms.name,
    months: [dayjs(`${terms.valid_from}-01`), dayjs(`${terms.valid_to}-01`)],
    provinces: terms.territory?.provinces ?? [],
    cities: terms.territory?.cities ?? [],
    products: terms.products.map((p) => ({ sku: p.sku, group: p.group, price: p.price, price_level: p.price_level ?? undefined })),
    targets: (terms.targets ?? []).map((x) => ({
      group: x.group,
      period: x.period,
      measure: x.amount ? "amount" : "quantity",
      value: x.amount ?? x.quantity ?? "",
    })),
    rules: (terms.rules ?? []).map((r) => ({
      name: r.name,
      group: r.group,
      basis: r.basis,
      measure: r.measure,
      threshold_of: r.threshold_of,
      tiers: r.tiers.map((tier) => ({ threshold: tier.threshold, rate: tier.percent ? "percent" : "per_unit", value: tier.percent ?? tier.per_unit ?? "" })),
      no_confirmed_diversion: r.conditions?.no_confirmed_diversion,
      max_stock_months: r.conditions?.max_stock_months ?? undefined,
      min_match_rate: r.conditions?.min_match_rate ?? undefined,
      cap: r.cap ?? undefined,
    })),
  };
}

const NEW: Partial<Values> = {
  months: [dayjs().startOf("year"), dayjs().endOf("year")],
  products: [{ sku: "", group: "", price: "" }],
  rules: [{ name: "", basis: "flow", measure: "quantity", threshold_of: "value", tiers: [{ threshold: "0", rate: "percent", value: "" }] }],
};

/** Proposes an agreement (no id) or a new version of one (its id): either way, a version for approval. */
export default function AgreementForm() {
  const { id } = useParams();
  const t = useT(m);
  const { lang } = useLang();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [form] = Form.useForm<Values>();
  const [error, setError] = useState<unknown>();
  const [saving, setSaving] = useState(false);
  const products = useProductNames();
  const existing = useRemote(
    () => (id ? withEtag(api().GET("/agreements/{agreement_id}", { params: { path: { agreement_id: id } } })) : Promise.resolve(undefined)),
    [id],
  );
  useEffect(() => {
    const a = existing.data?.data;
    const terms = a?.terms ?? a?.versions[a.versions.length - 1]?.terms;
    form.setFieldsValue(terms ? toValues(terms) : NEW);
  }, [existing.data, form]);
  const groups = Form.useWatch("products", form)?.map((p) => p?.group).filter(Boolean) ?? [];

  async function submit(values: Values) {
    setSaving(true);
    setError(undefined);
    try {
      const terms = toTerms(values);
      const saved = id
        ? await ok(
            api().POST("/agreements/{agreement_id}/versions", {
              params: { path: { agreement_id: id }, header: { "if-match": existing.data?.etag ?? "" } },
              body: terms,
            }),
          )
        : await ok(api().POST("/agreements", { body: { ...terms, customer_id: values.customer_id ?? "" } }));
      message.success(t("submitted"));
      navigate(`/rebates/agreements/${saved.id}`);
    } catch (err) {
      showFieldErrors(form, err);
      setError(err);
    } finally {
      setSaving(false);
    }
  }

  if (existing.loading && id) return <Spin />;
  const productOptions = Object.entries(products).map(([sku, n]) => ({ value: sku, label: `${n}（${sku}）` }));
  const groupOptions = [...new Set(groups)].map((g) => ({ value: g, label: g }));
  return (
    <>
      <Typography.Title level={3} style={{ marginTop: 0 }}>
        {id ? `${t("newVersion")} · ${existing.data?.data.customer_name ?? ""}` : t("newAgreement")}
      </Typography.Title>
      <ProblemAlert error={error ?? existing.error} />
      <Form<Values> form={form} layout="vertical" onFinish={submit} style={{ maxWidth: 1100 }}>
        <Card size="small" style={{ marginBottom: 16 }}>
          <Flex gap={16} wrap>
            {!id && (
              <Form.Item name="customer_id" label={t("customer")} rules={[{ required: true }]} style={{ minWidth: 320 }}>
                <CustomerSelect type="distributor" placeholder={t("customer")} />
              </Form.Item>
            )}
            <Form.Item name="name" label={t("name")} rules={[{ required: true }]} style={{ minWidth: 280 }}>
              <Input />
            </Form.Item>
            <Form.Item name="months" label={t("validity")} rules={[{ required: true }]}>
              <DatePicker.RangePicker picker="month" format="YYYY-MM" />
            </Form.Item>
          </Flex>
          <Flex gap={16} wrap>
            <Form.Item name="provinces" label={`${t("territory")} · ${t("provinces")}`} style={{ minWidth: 320 }}>
              <Select mode="tags" tokenSeparators={[",", "，", " "]} placeholder="江苏" open={false} />
            </Form.Item>
            <Form.Item name="cities" label={t("cities")} style={{ minWidth: 320 }}>
              <Select mode="tags" tokenSeparators={[",", "，", " "]} placeholder="苏州" open={false} />
            </Form.Item>
          </Flex>
        </Card>

        <Card size="small" title={t("products")} style={{ marginBottom: 16 }}>
          <Form.List name="products">
            {(fields, { add, remove }) => (
              <>
                {fields.map((field) => (
                  <Flex key={field.key} gap={8} align="baseline" wrap>
                    <Form.Item name={[field.name, "sku"]} rules={[{ required: true }]}>
                      <Select showSearch={{ optionFilterProp: "label" }} options={productOptions} placeholder={t("sku")} style={{ width: 260 }} aria-label={t("sku")} />
                    </Form.Item>
                    <Form.Item name={[field.name, "group"]} rules={[{ required: true }]}>
                      <Input placeholder={t("group")} style={{ width: 140 }} aria-label={t("group")} />
                    </Form.Item>
                    <Form.Item name={[field.name, "price"]} rules={[{ required: true }]}>
                      <Input placeholder={t("price")} style={{ width: 180 }} aria-label={t("price")} />
                    </Form.Item>
                    <Form.Item name={[field.name, "price_level"]}>
                      <Input placeholder={t("priceLevel")} style={{ width: 120 }} aria-label={t("priceLevel")} />
                    </Form.Item>
                    <MinusCircleOutlined aria-label={t("remove")} onClick={() => remove(field.name)} />
                  </Flex>
                ))}
                <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ sku: "", group: groups[0] ?? "", price: "" })}>
                  {t("addProduct")}
                </Button>
              </>
            )}
          </Form.List>
        </Card>

        <Card size="small" title={t("targets")} style={{ marginBottom: 16 }}>
          <Form.List name="targets">
            {(fields, { add, remove }) => (
              <>
                {fields.map((field) => (
                  <Flex key={field.key} gap={8} align="baseline" wrap>
                    <Form.Item name={[field.name, "group"]} rules={[{ required: true }]}>
                      <Select options={groupOptions} placeholder={t("group")} style={{ width: 160 }} aria-label={t("group")} />
                    </Form.Item>
                    <Form.Item name={[field.name, "period"]} rules={[{ required: true, pattern: /^20\d\d-(0[1-9]|1[0-2]|Q[1-4])$/ }]}>
                      <Input placeholder="2026-Q4 / 2026-11" style={{ width: 160 }} aria-label={t("period")} />
                    </Form.Item>
                    <Form.Item name={[field.name, "measure"]} initialValue="quantity">
                      <Select options={options(MEASURES, lang)} style={{ width: 100 }} aria-label={t("measure")} />
                    </Form.Item>
                    <Form.Item name={[field.name, "value"]} rules={[{ required: true }]}>
                      <Input placeholder={t("target")} style={{ width: 140 }} aria-label={t("target")} />
                    </Form.Item>
                    <MinusCircleOutlined aria-label={t("remove")} onClick={() => remove(field.name)} />
                  </Flex>
                ))}
                <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ measure: "quantity" })}>
                  {t("addTarget")}
                </Button>
              </>
            )}
          </Form.List>
        </Card>

        <Form.List name="rules">
          {(rules, { add, remove }) => (
            <>
              {rules.map((rule) => (
                <Card
                  key={rule.key}
                  size="small"
                  title={`${t("rule")} ${rule.name + 1}`}
                  extra={<Button type="link" danger onClick={() => remove(rule.name)}>{t("remove")}</Button>}
                  style={{ marginBottom: 16 }}
                  data-testid="rule"
                >
                  <Flex gap={16} wrap>
                    <Form.Item name={[rule.name, "name"]} label={t("rule")} rules={[{ required: true }]}>
                      <Input style={{ width: 200 }} />
                    </Form.Item>
                    <Form.Item name={[rule.name, "group"]} label={t("group")}>
                      <Select allowClear options={groupOptions} placeholder={t("none")} style={{ width: 160 }} />
                    </Form.Item>
                    <Form.Item name={[rule.name, "basis"]} label={t("basis")} rules={[{ required: true }]}>
                      <Select options={options(BASES, lang)} style={{ width: 180 }} />
                    </Form.Item>
                    <Form.Item name={[rule.name, "measure"]} label={t("measure")}>
                      <Select options={options(MEASURES, lang)} style={{ width: 100 }} />
                    </Form.Item>
                    <Form.Item name={[rule.name, "threshold_of"]} label={t("thresholdOf")}>
                      <Select options={options(THRESHOLDS, lang)} style={{ width: 140 }} />
                    </Form.Item>
                    <Form.Item name={[rule.name, "cap"]} label={t("cap")}>
                      <Input style={{ width: 140 }} />
                    </Form.Item>
                  </Flex>
                  <Typography.Text strong>{t("tiers")}</Typography.Text>
                  <Form.List name={[rule.name, "tiers"]}>
                    {(tiers, tierOps) => (
                      <div style={{ marginTop: 8 }}>
                        {tiers.map((tier, n) => (
                          <Flex key={tier.key} gap={8} align="baseline" wrap data-testid="tier">
                            <Typography.Text type="secondary">{n + 1}.</Typography.Text>
                            <Form.Item name={[tier.name, "threshold"]} rules={[{ required: true }]}>
                              <Input addonBefore="≥" style={{ width: 160 }} aria-label={`${t("threshold")} ${n + 1}`} />
                            </Form.Item>
                            <Form.Item name={[tier.name, "rate"]} initialValue="percent">
                              <Select
                                style={{ width: 130 }}
                                options={[{ value: "percent", label: t("percent") }, { value: "per_unit", label: t("perUnit") }]}
                              />
                            </Form.Item>
                            <Form.Item name={[tier.name, "value"]} rules={[{ required: true }]}>
                              <Input style={{ width: 120 }} aria-label={`${t("rate")} ${n + 1}`} />
                            </Form.Item>
                            <MinusCircleOutlined aria-label={t("remove")} onClick={() => tierOps.remove(tier.name)} />
                          </Flex>
                        ))}
                        <Button size="small" type="dashed" icon={<PlusOutlined />} onClick={() => tierOps.add({ rate: "percent" })}>
                          {t("addTier")}
                        </Button>
                      </div>
                    )}
                  </Form.List>
                  <Flex gap={16} wrap style={{ marginTop: 12 }}>
                    <Form.Item name={[rule.name, "no_confirmed_diversion"]} label={t("noDiversion")} valuePropName="checked">
                      <Switch />
                    </Form.Item>
                    <Form.Item name={[rule.name, "max_stock_months"]} label={t("maxStockMonths")}>
                      <Input style={{ width: 120 }} placeholder="3" />
                    </Form.Item>
                    <Form.Item name={[rule.name, "min_match_rate"]} label={t("minMatchRate")}>
                      <Input style={{ width: 120 }} placeholder="0.9" />
                    </Form.Item>
                  </Flex>
                </Card>
              ))}
              <Button
                type="dashed"
                icon={<PlusOutlined />}
                style={{ marginBottom: 16 }}
                onClick={() => add({ basis: "flow", measure: "quantity", threshold_of: "value", tiers: [{ threshold: "0", rate: "percent" }] })}
              >
                {t("addRule")}
              </Button>
            </>
          )}
        </Form.List>
        <Flex gap={8}>
          <Button type="primary" htmlType="submit" loading={saving}>
            {t("submit")}
          </Button>
          <Button onClick={() => navigate(-1)}>{t("cancel")}</Button>
        </Flex>
      </Form>
    </>
  );
}
