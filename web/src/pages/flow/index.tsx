import { AuditOutlined, FileTextOutlined, NodeIndexOutlined, TagsOutlined } from "@ant-design/icons";
import { lazy } from "react";
import { OFFICE, type ConsoleModule } from "../../modules";

const LoadList = lazy(() => import("./LoadList"));
const LoadPage = lazy(() => import("./LoadPage"));
const ReviewQueue = lazy(() => import("./ReviewQueue"));
const Aliases = lazy(() => import("./Aliases"));
const Mappings = lazy(() => import("./Mappings"));

const group = { zh: "流向", en: "Distributor files" };

export const area: ConsoleModule = {
  routes: [
    { path: "flow/loads", element: <LoadList /> },
    { path: "flow/loads/:id", element: <LoadPage /> },
    { path: "flow/reviews", element: <ReviewQueue /> },
    { path: "flow/aliases", element: <Aliases /> },
    { path: "flow/mappings", element: <Mappings /> },
  ],
  menu: [
    { path: "/flow/loads", label: { zh: "经销商文件", en: "Distributor files" }, icon: <FileTextOutlined />, roles: [...OFFICE, "distributor"], group },
    { path: "/flow/reviews", label: { zh: "待确认客户名称", en: "Names to review" }, icon: <AuditOutlined />, roles: [...OFFICE, "distributor"], group },
    { path: "/flow/aliases", label: { zh: "经销商别名", en: "Distributor aliases" }, icon: <TagsOutlined />, roles: OFFICE, group },
    { path: "/flow/mappings", label: { zh: "文件映射模板", en: "Mapping templates" }, icon: <NodeIndexOutlined />, roles: OFFICE, group },
  ],
};
