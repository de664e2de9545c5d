import { HomeOutlined } from "@ant-design/icons";
import { lazy } from "react";
import { OFFICE, type ConsoleModule } from "../../modules";

const Home = lazy(() => import("./Home"));

// A distributor user's home is its upload page (Home sends it there).
export const area: ConsoleModule = {
  routes: [{ index: true, element: <Home /> }],
  menu: [{ path: "/", label: { zh: "首页", en: "Home" }, icon: <HomeOutlined />, roles: OFFICE }],
};
