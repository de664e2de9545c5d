import { Select } from "antd";
import { useEffect, useState } from "react";
import { api, ok, type Schemas } from "../../api/client";
import { formatQty } from "../../format";
import { useT } from "../../i18n";
import { m } from "./messages";

type Product = Schemas["Product"];

function label(p: { sku: string; name: string; spec: string }): string {
  return `${p.name} ${p.spec}（${p.sku}）`;
}

/** Picks an active product by name or SKU (GET /products?q=), showing its spec and available stock. */
export function ProductSelect(props: {
  value?: string;
  onChange?: (sku: string | undefined) => void;
  known?: { sku: string; name: string; spec: string }; // the chosen product's label before a search found it
  id?: string;
  "aria-label"?: string;
}) {
  const t = useT(m);
  const [found, setFound] = useState<Product[]>([]);
  const [query, setQuery] = useState("");
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      ok(api().GET("/products", { params: { query: { q: query || undefined, status: "active", limit: 20 } } }))
        .then((page) => live && setFound(page.items))
        .catch(() => live && setFound([]));
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [query]);
  const options = found.map((p) => ({
    value: p.sku,
    label: label(p),
    title: label(p),
    stock: p.stock ? t("stock", { n: formatQty(p.stock.available) }) : "",
  }));
  if (props.value && !found.some((p) => p.sku === props.value)) {
    const text = props.known ? label(props.known) : props.value;
    options.unshift({ value: props.value, label: text, title: text, stock: "" });
  }
  return (
    <Select
      id={props.id}
      aria-label={props["aria-label"]}
      showSearch={{ filterOption: false, onSearch: setQuery }}
      value={props.value}
      onChange={(value) => props.onChange?.(value)}
      placeholder={t("searchProduct")}
      options={options}
      optionRender={(option) => (
        <span>
          {option.data.label}
          {option.data.stock && <span style={{ color: "#888", marginLeft: 8, fontSize: 12 }}>{option.data.stock}</span>}
        </span>
      )}
      style={{ width: "100%" }}
    />
  );
}
