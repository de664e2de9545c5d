import { api, ok } from "../api/client";
import { useRemote } from "./useRemote";

/** id -> name of the distributors in the caller's scope, to show names where the API gives ids. */
export function useDistributorNames(): Record<string, string> {
  const distributors = useRemote(async () => {
    const names: Record<string, string> = {};
    let cursor: string | undefined;
    do {
      const page = await ok(api().GET("/customers", { params: { query: { type: "distributor", limit: 200, cursor } } }));
      for (const c of page.items) names[c.id] = c.name;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return names;
  }, []);
  return distributors.data ?? {};
}
