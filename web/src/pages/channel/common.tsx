import { DatePicker, Select } from "antd";
import dayjs from "dayjs";
import { useSearchParams } from "react-router-dom";
import { api, ok } from "../../api/client";
import { useRemote } from "../../components/useRemote";

/** Last month: the one whose distributor files are in (the current month has none yet). */
export function defaultMonth(): string {
  return dayjs().subtract(1, "month").format("YYYY-MM");
}

/** Filters kept in the URL (back, reload and links keep them). */
export function useUrlFilters() {
  const [params, setParams] = useSearchParams();
  const set = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  return { get: (key: string) => params.get(key) ?? undefined, set, key: params.toString() };
}

export function MonthPicker({ value, onChange, label }: { value: string; onChange: (v: string) => void; label: string }) {
  return (
    <DatePicker
      picker="month"
      aria-label={label}
      allowClear={false}
      value={dayjs(`${value}-01`)}
      onChange={(d) => d && onChange(d.format("YYYY-MM"))}
      format="YYYY-MM"
    />
  );
}

export function DistributorFilter(props: { names: Record<string, string>; value?: string; onChange: (v: string | undefined) => void; label: string; allowClear?: boolean }) {
  return (
    <Select
      aria-label={props.label}
      placeholder={props.label}
      allowClear={props.allowClear ?? true}
      showSearch={{ optionFilterProp: "label" }}
      value={props.value}
      onChange={props.onChange}
      options={Object.entries(props.names)
        .map(([value, label]) => ({ value, label }))
        .sort((a, b) => a.label.localeCompare(b.label, "zh-CN"))}
      style={{ width: 260 }}
    />
  );
}

/** sku -> product name, to show names beside codes. */
export function useProductNames(): Record<string, string> {
  const products = useRemote(async () => {
    const names: Record<string, string> = {};
    let cursor: string | undefined;
    do {
      const page = await ok(api().GET("/products", { params: { query: { limit: 200, cursor } } }));
      for (const p of page.items) names[p.sku] = p.name;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return names;
  }, []);
  return products.data ?? {};
}

export function num(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat("zh-CN", { maximumFractionDigits: 3 }).format(value);
}

export function pct(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : `${value.toFixed(1)}%`;
}
