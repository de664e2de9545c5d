import { Select } from "antd";
import { useEffect, useState } from "react";
import { api, ok } from "../api/client";

/** Picks a customer by name, alias or ERP code (GET /customers?q=), showing names, keeping ids. */
export function CustomerSelect(props: {
  value?: string | null;
  onChange?: (id: string | undefined) => void;
  type?: "distributor" | "terminal" | "person" | "other";
  placeholder?: string;
  id?: string;
}) {
  const [options, setOptions] = useState<{ value: string; label: string }[]>([]);
  const [query, setQuery] = useState("");
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      ok(api().GET("/customers", { params: { query: { q: query || undefined, type: props.type, limit: 20 } } }))
        .then((page) => live && setOptions(page.items.map((c) => ({ value: c.id, label: c.code ? `${c.name}（${c.code}）` : c.name }))))
        .catch(() => live && setOptions([]));
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [query, props.type]);
  useEffect(() => {
    // Show the chosen customer's name even before a search found it.
    if (!props.value || options.some((o) => o.value === props.value)) return;
    ok(api().GET("/customers/{customer_id}", { params: { path: { customer_id: props.value } } }))
      .then((c) => setOptions((current) => [{ value: c.id, label: c.name }, ...current]))
      .catch(() => undefined);
  }, [props.value]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <Select
      id={props.id}
      showSearch={{ filterOption: false, onSearch: setQuery }}
      allowClear
      value={props.value ?? undefined}
      onChange={(value) => props.onChange?.(value)}
      options={options}
      placeholder={props.placeholder}
      style={{ minWidth: 240 }}
    />
  );
}
