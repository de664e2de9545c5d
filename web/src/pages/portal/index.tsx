import { CloudUploadOutlined } from "@ant-design/icons";
import { lazy } from "react";
import type { ConsoleModule } from "../../modules";

const Upload = lazy(() => import("./Upload"));

// The distributor portal: a distributor's users upload their files here, and see their loads, names waiting for
// review and channel stock through the office's pages, which show them only their own.
export const area: ConsoleModule = {
  routes: [{ path: "portal/upload", element: <Upload /> }],
  menu: [{ path: "/portal/upload", label: { zh: "上传文件", en: "Upload a file" }, icon: <CloudUploadOutlined />, roles: ["distributor"] }],
};
