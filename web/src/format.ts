// Display formats for zh-CN (and en): amounts are decimal strings and stay strings (never floats).
import dayjs from "dayjs";

function groupDigits(integer: string): string {
  return integer.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** "12345.6" -> "¥12,345.60": at least two decimals, no rounding (the API's digits are kept). */
export function formatAmount(value: string | null | undefined, currency = "¥"): string {
  if (value === null || value === undefined || value === "") return "—";
  const negative = value.startsWith("-");
  const [integer, fraction = ""] = value.replace(/^[-+]/, "").split(".");
  const decimals = fraction.length >= 2 ? fraction : fraction.padEnd(2, "0");
  return `${negative ? "-" : ""}${currency}${groupDigits(integer.replace(/^0+(?=\d)/, "") || "0")}.${decimals}`;
}

export function formatQty(value: number | string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "string") {
    const [integer, fraction] = value.split(".");
    return fraction ? `${groupDigits(integer)}.${fraction}` : groupDigits(integer);
  }
  return new Intl.NumberFormat("zh-CN", { maximumFractionDigits: 3 }).format(value);
}

export function formatRate(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`;
}

export function formatDate(value: string | null | undefined): string {
  return value ? dayjs(value).format("YYYY-MM-DD") : "—";
}

export function formatDateTime(value: string | null | undefined): string {
  return value ? dayjs(value).format("YYYY-MM-DD HH:mm") : "—";
}

export function thisMonth(): string {
  return dayjs().format("YYYY-MM");
}
