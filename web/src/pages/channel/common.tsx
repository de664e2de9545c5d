import { api, ok } from "../../api/client";
import { useRemote } from "../../components/useRemote";

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
