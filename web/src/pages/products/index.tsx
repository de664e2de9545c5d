import { MedicineBoxOutlined } from "@ant-design/icons";
import { lazy } from "react";
import { OFFICE, type ConsoleModule } from "../../modules";

const ProductList = lazy(() => import("./ProductList"));
const ProductPage = lazy(() => import("./ProductPage"));
const ProductForm = lazy(() => import("./ProductForm"));

export const area: ConsoleModule = {
  routes: [
    { path: "products", element: <ProductList /> },
    { path: "products/new", element: <ProductForm /> },
    { path: "products/:sku", element: <ProductPage /> },
    { path: "products/:sku/edit", element: <ProductForm /> },
  ],
  menu: [
    { path: "/products", label: { zh: "产品与价格", en: "Products and prices" }, icon: <MedicineBoxOutlined />, roles: OFFICE, group: { zh: "计划与产品", en: "Plans and products" } },
  ],
};
