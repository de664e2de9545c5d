import { AuditOutlined, SettingOutlined, UserSwitchOutlined } from "@ant-design/icons";
import { lazy } from "react";
import { APPROVERS, type ConsoleModule } from "../../modules";

const Inbox = lazy(() => import("./Inbox"));
const ApprovalPage = lazy(() => import("./ApprovalPage"));
const Policies = lazy(() => import("./Policies"));
const Delegations = lazy(() => import("./Delegations"));

const GROUP = { zh: "订单与审批", en: "Orders and approvals" };

export const area: ConsoleModule = {
  routes: [
    { path: "approvals", element: <Inbox /> },
    { path: "approvals/:id", element: <ApprovalPage /> },
    { path: "approval-policies", element: <Policies /> },
    { path: "delegations", element: <Delegations /> },
  ],
  menu: [
    // The API lists only what waits for the caller's decision (GET /approvals/inbox): nothing for reps.
    { path: "/approvals", label: { zh: "审批待办", en: "Approvals" }, icon: <AuditOutlined />, roles: APPROVERS, group: GROUP },
    { path: "/delegations", label: { zh: "工作代理", en: "Delegations" }, icon: <UserSwitchOutlined />, roles: APPROVERS, group: GROUP },
    { path: "/approval-policies", label: { zh: "审批策略", en: "Approval policies" }, icon: <SettingOutlined />, roles: ["hq_admin"], group: GROUP },
  ],
};
