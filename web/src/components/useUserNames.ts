import { api, ok } from "../api/client";
import { MANAGERS } from "../modules";
import { hasRole, useUser } from "./UserContext";
import { useRemote } from "./useRemote";
import { useLang } from "../i18n";

const SYSTEM = "system"; // the API's actor for work nobody asked for in person (crm.approvals.service.SYSTEM)

/** nameOf(user id): the users a manager may list (GET /users, their subtree) and oneself; others by their id. */
export function useUserNames(): (id: string | null | undefined) => string {
  const user = useUser();
  const { lang } = useLang();
  const manager = hasRole(user, ...MANAGERS);
  const users = useRemote(async () => {
    const names: Record<string, string> = {};
    if (!manager) return names;
    let cursor: string | undefined;
    do {
      const page = await ok(api().GET("/users", { params: { query: { limit: 200, cursor } } }));
      for (const u of page.items) names[u.id] = u.name;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return names;
  }, [manager]);
  return (id) => {
    if (!id) return "—";
    if (id === user.id) return user.name;
    if (id === SYSTEM) return lang === "zh" ? "系统" : "System"; // what the system did itself (runs, expiries)
    return users.data?.[id] ?? id;
  };
}
