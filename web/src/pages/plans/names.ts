// Names for ids the API answers with (products by SKU, customers by id), fetched once per screen.
import { useEffect, useState } from "react";
import { api, ok, type Schemas } from "../../api/client";
import { useRemote } from "../../components/useRemote";

/** Every product (SKU -> product), to label plan lines and prices. */
export function useProducts(): Record<string, Schemas["Product"]> {
  const products = useRemote(async () => {
    const bySku: Record<string, Schemas["Product"]> = {};
    let cursor: string | undefined;
    do {
      const page = await ok(api().GET("/products", { params: { query: { limit: 200, cursor } } }));
      for (const p of page.items) bySku[p.sku] = p;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return bySku;
  }, []);
  return products.data ?? {};
}

/** id -> name of the given customers (each read once). */
export function useCustomerNames(ids: (string | null | undefined)[]): Record<string, string> {
  const [names, setNames] = useState<Record<string, string>>({});
  const wanted = [...new Set(ids.filter((id): id is string => Boolean(id)))].sort().join(",");
  useEffect(() => {
    const missing = wanted.split(",").filter((id) => id && !(id in names));
    for (const id of missing) {
      ok(api().GET("/customers/{customer_id}", { params: { path: { customer_id: id } } }))
        .then((c) => setNames((current) => ({ ...current, [id]: c.name })))
        .catch(() => setNames((current) => ({ ...current, [id]: id })));
    }
  }, [wanted]); // eslint-disable-line react-hooks/exhaustive-deps
  return names;
}
