import { Tag } from "antd";
import { useLang } from "../../i18n";
import { name, type Names, ROLE_NAMES } from "../../labels";


export const APPROVAL_STATUSES: Names = {
  pending: { zh: "审批中", en: "Pending" },
  approved: { zh: "已同意", en: "Approved" },
  rejected: { zh: "已驳回", en: "Rejected" },
  withdrawn: { zh: "已撤回", en: "Withdrawn" },
  expired: { zh: "已过期", en: "Expired" },
};
export const STEP_STATUSES: Names = {
  waiting: { zh: "未开始", en: "Waiting" },
  pending: { zh: "待审批", en: "Pending" },
  approved: { zh: "已同意", en: "Approved" },
  rejected: { zh: "已驳回", en: "Rejected" },
};
export const DELEGATION_STATUSES: Names = {
  scheduled: { zh: "未开始", en: "Scheduled" },
  active: { zh: "生效中", en: "Active" },
  ended: { zh: "已结束", en: "Ended" },
  cancelled: { zh: "已取消", en: "Cancelled" },
};
export const APPROVER_ROLES: Names = Object.fromEntries(
  ["dept_head", "branch_head", "finance", "hq_admin"].map((role) => [role, ROLE_NAMES[role]]),
);
const COLORS: Record<string, string> = {
  pending: "processing",
  approved: "green",
  rejected: "red",
  withdrawn: "default",
  expired: "orange",
  waiting: "default",
  scheduled: "blue",
  active: "green",
  ended: "default",
  cancelled: "default",
};

export function StatusTag({ status, names }: { status: string; names: Names }) {
  const { lang } = useLang();
  return <Tag color={COLORS[status]}>{name(names, status, lang)}</Tag>;
}
