import { TreeSelect } from "antd";
import { api, ok, type Schemas } from "../api/client";
import { useRemote } from "./useRemote";

type Node = Schemas["OrgTreeNode"];
interface TreeOption {
  value: string;
  title: string;
  children: TreeOption[];
}

function toOptions(nodes: Node[]): TreeOption[] {
  return nodes.map((n) => ({ value: n.id, title: n.name, children: toOptions(n.children) }));
}

/** Picks an org unit from the tree (GET /org-units), by name. */
export function OrgUnitSelect(props: { value?: string; onChange?: (id: string | undefined) => void; placeholder?: string; id?: string; style?: React.CSSProperties }) {
  const tree = useRemote(() => ok(api().GET("/org-units")), []);
  return (
    <TreeSelect
      id={props.id}
      aria-label={props.placeholder}
      allowClear
      showSearch
      treeNodeFilterProp="title"
      treeDefaultExpandAll
      value={props.value}
      onChange={(value) => props.onChange?.(value)}
      treeData={toOptions(tree.data?.items ?? [])}
      loading={tree.loading}
      placeholder={props.placeholder}
      style={{ minWidth: 180, ...props.style }}
    />
  );
}
