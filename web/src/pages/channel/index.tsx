import { AlertOutlined, DatabaseOutlined, ShopOutlined } from "@ant-design/icons";
import { lazy } from "react";
import { MANAGERS, OFFICE, type ConsoleModule } from "../../modules";

const Inventory = lazy(() => import("./Inventory"));
const SellOut = lazy(() => import("./SellOut"));
const Diversion = lazy(() => import("./Diversion"));

const group = { zh: "渠道", en: "Channel" };

export const area: ConsoleModule = {
  routes: [
    { path: "channel/inventory", element: <Inventory /> },
    { path: "channel/sellout", element: <SellOut /> },
    { path: "channel/diversion", element: <Diversion /> },
  ],
  menu: [
    { path: "/channel/inventory", label: { zh: "渠道库存", en: "Channel stock" }, icon: <DatabaseOutlined />, roles: [...OFFICE, "distributor"], group },
    { path: "/channel/sellout", label: { zh: "终端销货", en: "Terminal sell-out" }, icon: <ShopOutlined />, roles: OFFICE, group },
    { path: "/channel/diversion", label: { zh: "窜货预警", en: "Diversion signals" }, icon: <AlertOutlined />, roles: [...MANAGERS, "finance"], group },
  ],
};
