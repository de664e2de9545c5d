// Names of the API's enum values, in both languages; one place for every screen that shows them.
import type { Lang } from "./i18n";

export type Names = Record<string, { zh: string; en: string }>;

export const ROLE_NAMES: Names = {
  rep: { zh: "业务代表", en: "Rep" },
  dept_head: { zh: "部门经理", en: "Department head" },
  branch_head: { zh: "分公司经理", en: "Branch head" },
  hq_admin: { zh: "总部管理员", en: "HQ admin" },
  finance: { zh: "财务", en: "Finance" },
  distributor: { zh: "经销商", en: "Distributor" },
  erp: { zh: "ERP 接口", en: "ERP" },
};
export const CUSTOMER_TYPES: Names = {
  distributor: { zh: "经销商", en: "Distributor" },
  terminal: { zh: "终端", en: "Terminal" },
  person: { zh: "个人", en: "Person" },
  other: { zh: "其他", en: "Other" },
};
export const CUSTOMER_STATUSES: Names = {
  prospect: { zh: "潜在", en: "Prospect" },
  opportunity: { zh: "意向", en: "Opportunity" },
  active: { zh: "正式", en: "Active" },
  lost: { zh: "流失", en: "Lost" },
  stopped: { zh: "停止合作", en: "Stopped" },
  closed: { zh: "关闭", en: "Closed" },
};
export const TERMINAL_KINDS: Names = {
  pharmacy: { zh: "药店", en: "Pharmacy" },
  hospital: { zh: "医院", en: "Hospital" },
  clinic: { zh: "诊所", en: "Clinic" },
  retail_store: { zh: "零售店", en: "Retail store" },
};
export const DISTRIBUTOR_TIERS: Names = {
  tier1: { zh: "一级商", en: "Tier 1" },
  tier2: { zh: "二级商", en: "Tier 2" },
  chain_hq: { zh: "连锁总部", en: "Chain HQ" },
};
export const PERSON_KINDS: Names = {
  key_person: { zh: "关键人", en: "Key person" },
  member: { zh: "会员", en: "Member" },
  intermediary: { zh: "中间人", en: "Intermediary" },
};
export const TRADES: Names = {
  direct: { zh: "直供", en: "Direct" },
  indirect: { zh: "分销", en: "Indirect" },
};
export const ORDER_STATES: Names = {
  saved: { zh: "已保存", en: "Saved" },
  submitted: { zh: "审批中", en: "Submitted" },
  approved: { zh: "已批准", en: "Approved" },
  processed: { zh: "ERP 已接单", en: "In ERP" },
  shipped: { zh: "已发货", en: "Shipped" },
  closed: { zh: "已关闭", en: "Closed" },
  void: { zh: "已作废", en: "Voided" },
};
export const APPROVAL_KINDS: Names = {
  order: { zh: "订单", en: "Order" },
  return: { zh: "退货", en: "Return" },
  customer_activation: { zh: "客户转正", en: "Customer activation" },
  level_change: { zh: "等级变更", en: "Level change" },
  inventory_adjustment: { zh: "库存调整", en: "Inventory adjustment" },
  agreement: { zh: "经销协议", en: "Agreement" },
  accrual: { zh: "返利计提单", en: "Accrual voucher" },
  diversion_penalty: { zh: "窜货处罚", en: "Diversion penalty" },
};
export const LOAD_STATUSES: Names = {
  received: { zh: "已接收", en: "Received" },
  processing: { zh: "处理中", en: "Processing" },
  accepted: { zh: "已导入", en: "Accepted" },
  accepted_with_errors: { zh: "部分导入（有错误行）", en: "Accepted with errors" },
  rejected: { zh: "已拒收", en: "Rejected" },
  held: { zh: "暂挂", en: "Held" },
  superseded: { zh: "已被替换", en: "Superseded" },
};
export const FILE_KINDS: Names = {
  flow: { zh: "流向", en: "Flow" },
  inventory: { zh: "库存", en: "Stock" },
  opening: { zh: "期初", en: "Opening" },
  sellout: { zh: "终端销售", en: "Sell-out" },
  shipments: { zh: "我方发货", en: "Our shipments" },
};
// Why a whole file was refused (the load's rejection.code), in words its sender understands.
export const FILE_REJECTIONS: Names = {
  "empty file": { zh: "文件为空", en: "The file is empty" },
  "file too large": { zh: "文件过大", en: "The file is too large" },
  "too many rows": { zh: "行数过多", en: "The file has too many rows" },
  "unsupported file type": { zh: "不支持的文件类型，请上传 CSV、TXT 或 Excel（xlsx）", en: "Unsupported file type: send CSV, TXT or Excel (xlsx)" },
  "binary file": { zh: "不是文本或 Excel 文件", en: "Not a text or Excel file" },
  "unknown or wrong text encoding": { zh: "无法识别文件编码，请另存为 UTF-8 或 GBK", en: "Unknown text encoding: save it as UTF-8 or GBK" },
  "malformed text file": { zh: "文本格式有误", en: "The text file is malformed" },
  "invalid xlsx": { zh: "Excel 文件已损坏", en: "The Excel file is damaged" },
  "xlsx uncompressed size over limit": { zh: "Excel 文件解压后过大", en: "The Excel file is too large once unpacked" },
  "formulas not allowed": { zh: "文件含公式，请粘贴为数值后再上传", en: "The file has formulas: paste them as values and send it again" },
  "missing columns": { zh: "文件缺少必需的列", en: "The file lacks columns we need" },
  "sheet not found": { zh: "找不到指定的工作表", en: "The sheet was not found" },
  "no data rows": { zh: "没有数据行", en: "The file has no data rows" },
  "unreadable file": { zh: "文件无法读取", en: "The file cannot be read" },
  "no valid rows": { zh: "没有一行可用", en: "No row could be used" },
  "period closed": { zh: "该月份已关账，不能再上传", en: "The month is closed" },
  "unknown distributor": { zh: "无法确定文件所属的经销商", en: "The file's distributor is unknown" },
};

export const VISIT_STATES: Names = {
  planned: { zh: "计划中", en: "Planned" },
  checked_in: { zh: "已签到", en: "Checked in" },
  checked_out: { zh: "已签退", en: "Checked out" },
  cancelled: { zh: "已取消", en: "Cancelled" },
};

export function name(names: Names, value: string | null | undefined, lang: Lang): string {
  if (value === null || value === undefined || value === "") return "—";
  return names[value]?.[lang] ?? value;
}

export function options(names: Names, lang: Lang) {
  return Object.entries(names).map(([value, label]) => ({ value, label: label[lang] }));
}
