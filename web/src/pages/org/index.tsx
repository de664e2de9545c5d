import { ApartmentOutlined, UserOutlined } from "@ant-design/icons";
import { lazy } from "react";
import { MANAGERS, OFFICE, type ConsoleModule } from "../../modules";

const OrgTree = lazy(() => import("./OrgTree"));
const UserList = lazy(() => import("./UserList"));

const group = { zh: "组织与用户", en: "Org and users" };

export const area: ConsoleModule = {
  routes: [
    { path: "org", element: <OrgTree /> },
    { path: "users", element: <UserList /> },
  ],
  menu: [
    { path: "/org", label: { zh: "组织架构", en: "Org tree" }, icon: <ApartmentOutlined />, roles: OFFICE, group },
    { path: "/users", label: { zh: "用户与角色", en: "Users and roles" }, icon: <UserOutlined />, roles: MANAGERS, group },
  ],
};
