import { EnvironmentOutlined, PieChartOutlined } from "@ant-design/icons";
import { lazy } from "react";
import { OFFICE, type ConsoleModule } from "../../modules";

const VisitList = lazy(() => import("./VisitList"));
const VisitPage = lazy(() => import("./VisitPage"));
const VisitPlan = lazy(() => import("./VisitPlan"));
const Coverage = lazy(() => import("./Coverage"));
const VisitPolicy = lazy(() => import("./VisitPolicy"));

const group = { zh: "拜访", en: "Visits" };

export const area: ConsoleModule = {
  routes: [
    { path: "visits", element: <VisitList /> },
    { path: "visits/plan", element: <VisitPlan /> },
    { path: "visits/coverage", element: <Coverage /> },
    { path: "visits/policy", element: <VisitPolicy /> },
    { path: "visits/:id", element: <VisitPage /> },
  ],
  menu: [
    { path: "/visits", label: { zh: "拜访记录", en: "Visits" }, icon: <EnvironmentOutlined />, roles: OFFICE, group },
    { path: "/visits/coverage", label: { zh: "拜访覆盖率", en: "Visit coverage" }, icon: <PieChartOutlined />, roles: OFFICE, group },
  ],
};
