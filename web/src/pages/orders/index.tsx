import { ShoppingCartOutlined } from "@ant-design/icons";
import { lazy } from "react";
import { OFFICE, type ConsoleModule } from "../../modules";

const OrderList = lazy(() => import("./OrderList"));
const OrderForm = lazy(() => import("./OrderForm"));
const OrderPage = lazy(() => import("./OrderPage"));
const ReturnPage = lazy(() => import("./ReturnPage"));

export const area: ConsoleModule = {
  routes: [
    { path: "orders", element: <OrderList /> },
    { path: "orders/new", element: <OrderForm /> },
    { path: "orders/:id", element: <OrderPage /> },
    { path: "orders/:id/edit", element: <OrderForm /> },
    { path: "returns/:id", element: <ReturnPage /> },
  ],
  menu: [
    // A distributor's users order for their distributor here too (the portal): the API scopes what they see.
    { path: "/orders", label: { zh: "订货单", en: "Orders" }, icon: <ShoppingCartOutlined />, roles: [...OFFICE, "distributor"], group: { zh: "订单与审批", en: "Orders and approvals" } },
  ],
};
