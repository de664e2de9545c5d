import { Select } from "antd";
import { api, ok } from "../api/client";
import { useRemote } from "./useRemote";

/** Picks a user of the caller's scope (GET /users: managers), shown by name and username. */
export function UserSelect(props: {
  value?: string;
  onChange?: (id: string | undefined) => void;
  placeholder?: string;
  id?: string;
  style?: React.CSSProperties;
  activeOnly?: boolean; // leave out disabled users (nobody can take work over as them)
}) {
  const users = useRemote(() => ok(api().GET("/users", { params: { query: { limit: 200 } } })), []);
  return (
    <Select
      id={props.id}
      aria-label={props.placeholder}
      allowClear
      showSearch={{ optionFilterProp: "label" }}
      value={props.value}
      onChange={(value) => props.onChange?.(value)}
      options={(users.data?.items ?? []).filter((u) => !props.activeOnly || u.status === "active").map((u) => ({ value: u.id, label: `${u.name}（${u.username}）` }))}
      loading={users.loading}
      placeholder={props.placeholder}
      style={{ minWidth: 180, ...props.style }}
    />
  );
}
