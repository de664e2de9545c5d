// Filter controls the lists share: filters kept in the URL, a month picker, the distributor picker.
import { DatePicker, Select } from "antd";
import dayjs from "dayjs";
import { useSearchParams } from "react-router-dom";

/** Filters kept in the URL (back, reload and links keep them); `key` changes whenever one does. */
export function useUrlFilters() {
  const [params, setParams] = useSearchParams();
  const set = (name: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };
  return { get: (name: string) => params.get(name) ?? undefined, set, key: params.toString() };
}

/** Last month: the one whose distributor files are in (the current month has none yet). */
export function lastMonth(): string {
  return dayjs().subtract(1, "month").format("YYYY-MM");
}

/** A month as YYYY-MM. */
export function MonthPicker({ value, onChange, label }: { value: string; onChange: (month: string) => void; label: string }) {
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

/** The distributors in the caller's scope (useDistributorNames), by name; `extra` adds choices after them. */
export function DistributorSelect(props: {
  names: Record<string, string>;
  value?: string;
  onChange: (id: string | undefined) => void;
  label: string;
  allowClear?: boolean;
  extra?: { value: string; label: string }[];
}) {
  const choices = Object.entries(props.names)
    .map(([value, label]) => ({ value, label }))
    .sort((a, b) => a.label.localeCompare(b.label, "zh-CN"));
  return (
    <Select
      aria-label={props.label}
      placeholder={props.label}
      allowClear={props.allowClear ?? true}
      showSearch={{ optionFilterProp: "label" }}
      value={props.value}
      onChange={props.onChange}
      options={[...choices, ...(props.extra ?? [])]}
      style={{ width: 260 }}
    />
  );
}
