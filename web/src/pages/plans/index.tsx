import { ScheduleOutlined } from "@ant-design/icons";
import { lazy } from "react";
import { OFFICE, type ConsoleModule } from "../../modules";

const Plans = lazy(() => import("./Plans"));
const PlanReport = lazy(() => import("./PlanReport"));

export const area: ConsoleModule = {
  routes: [
    { path: "plans", element: <Plans /> },
    { path: "plans/report", element: <PlanReport /> },
  ],
  menu: [
    { path: "/plans", label: { zh: "订货计划", en: "Order plans" }, icon: <ScheduleOutlined />, roles: OFFICE, group: { zh: "计划与产品", en: "Plans and products" } },
  ],
};
