import { SwapOutlined, TeamOutlined } from "@ant-design/icons";
import { lazy } from "react";
import { MANAGERS, OFFICE, type ConsoleModule } from "../../modules";

const CustomerList = lazy(() => import("./CustomerList"));
const CustomerPage = lazy(() => import("./CustomerPage"));
const CustomerForm = lazy(() => import("./CustomerForm"));
const Handover = lazy(() => import("./Handover"));

export const area: ConsoleModule = {
  routes: [
    { path: "customers", element: <CustomerList /> },
    { path: "customers/new", element: <CustomerForm /> },
    { path: "customers/:id", element: <CustomerPage /> },
    { path: "customers/:id/edit", element: <CustomerForm /> },
    { path: "handovers", element: <Handover /> },
  ],
  menu: [
    { path: "/customers", label: { zh: "客户档案", en: "Customers" }, icon: <TeamOutlined />, roles: OFFICE, group: { zh: "客户", en: "Customers" } },
    { path: "/handovers", label: { zh: "离职交接", en: "Hand-over" }, icon: <SwapOutlined />, roles: MANAGERS, group: { zh: "客户", en: "Customers" } },
  ],
};
