import { Select } from "antd";
import { useLang } from "../../i18n";
import { FILE_KINDS, options } from "../../labels";

export const SHIPMENTS_PARTY = "_ours"; // loads of our own shipments files name no distributor

export function KindSelect(props: { value?: string; onChange: (v: string | undefined) => void; label: string; allowClear?: boolean }) {
  const { lang } = useLang();
  return (
    <Select
      aria-label={props.label}
      placeholder={props.label}
      allowClear={props.allowClear ?? true}
      value={props.value}
      onChange={props.onChange}
      options={options(FILE_KINDS, lang)}
      style={{ width: 140 }}
    />
  );
}

/** A presigned link the API answers with (error report, export): the browser downloads it. */
export function openLink(url: string): void {
  window.location.assign(url);
}

export function distributorName(names: Record<string, string>, id: string, ours: string): string {
  if (id === SHIPMENTS_PARTY) return ours;
  return names[id] ?? id;
}
