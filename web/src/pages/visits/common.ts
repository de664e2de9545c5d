import { api, ok } from "../../api/client";
import { useRemote } from "../../components/useRemote";
import { hasRole, useUser } from "../../components/UserContext";
import { MANAGERS } from "../../modules";

/** user id -> name: the users of a manager's scope (GET /users), else just oneself. */
export function useUserNames(): Record<string, string> {
  const user = useUser();
  const manager = hasRole(user, ...MANAGERS);
  const users = useRemote(async () => {
    const names: Record<string, string> = { [user.id]: user.name };
    if (!manager) return names;
    let cursor: string | undefined;
    do {
      const page = await ok(api().GET("/users", { params: { query: { limit: 200, cursor } } }));
      for (const u of page.items) names[u.id] = u.name;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return names;
  }, [manager]);
  return users.data ?? { [user.id]: user.name };
}

export function stateColor(state: string): string {
  return { planned: "blue", checked_in: "orange", checked_out: "green", cancelled: "default" }[state] ?? "default";
}
