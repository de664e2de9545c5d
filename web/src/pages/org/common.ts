import { api, ok, type Schemas } from "../../api/client";
import { useRemote } from "../../components/useRemote";

export type OrgNode = Schemas["OrgTreeNode"];

export function flatten(nodes: OrgNode[]): OrgNode[] {
  return nodes.flatMap((n) => [n, ...flatten(n.children)]);
}

/** The whole org tree (GET /org-units) and its units by id. */
export function useOrgTree() {
  const tree = useRemote(() => ok(api().GET("/org-units")), []);
  const roots = tree.data?.items ?? [];
  const byId = Object.fromEntries(flatten(roots).map((n) => [n.id, n]));
  return { ...tree, roots, byId };
}
