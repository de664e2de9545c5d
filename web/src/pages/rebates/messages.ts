import type { Names } from "../../labels";
import { defineMessages } from "../../i18n";

export const m = defineMessages({
  zh: {
    agreements: "经销协议", accruals: "返利计提", cases: "窜货案件", customer: "客户", name: "协议名称", validity: "有效期",
    inForce: "生效版本", pending: "待审批版本", none: "无", newAgreement: "新建协议", newVersion: "修改（新版本）",
    versions: "版本记录", version: "版本", status: "状态", requestedBy: "提交人", requestedAt: "提交时间", approval: "审批",
    territory: "协议区域", provinces: "省份", cities: "城市", products: "产品与价格", sku: "产品", group: "产品组",
    price: "协议价（基本单位）", priceLevel: "价格等级", targets: "目标", period: "期间（月或季度）", quantity: "数量",
    amount: "金额", rules: "返利规则", rule: "规则", basis: "口径", measure: "按", thresholdOf: "门槛按", tiers: "阶梯",
    threshold: "门槛", percent: "比例%", perUnit: "每单位金额", conditions: "条件", cap: "封顶金额",
    noDiversion: "当月无确认窜货", maxStockMonths: "库存不超过 N 个月销量", minMatchRate: "流向匹配率不低于",
    addProduct: "添加产品", addTarget: "添加目标", addRule: "添加规则", addTier: "添加阶梯", remove: "删除", submit: "提交审批",
    cancel: "取消", submitted: "已提交审批", validFrom: "起始月", validTo: "截止月", empty: "暂无数据", noTerms: "尚无生效版本",
    month: "月份", preview: "预估（实时计算）", stored: "计提单（结账冻结）", gross: "返利毛额", penalties: "罚款", net: "净额",
    totalNet: "合计净额", export: "导出 Excel", runState: "计提运行", round: "第 {n} 轮", vouchers: "{n} 张计提单",
    reversal: "冲销", runAgain: "重新运行", runStarted: "已重新开始运行", noRun: "本月尚未结账计提",
    tier: "达到档位", rate: "比例", accrued: "计提", target: "目标", attainment: "达成率", counted: "计入行数",
    unverified: "未核实行", loads: "文件", capped: "已封顶", met: "满足", notMet: "不满足", unabsorbed: "未抵扣罚款",
    distributor: "经销商", signal: "信号", opened: "立案时间", decision: "处理结论", notes: "调查记录", addNote: "添加记录",
    noteAdded: "已添加", decide: "处理", confirm: "确认窜货", dismiss: "驳回", comment: "说明", penaltyAmount: "罚款金额",
    forfeit: "扣除当月返利", decided: "已提交", evidence: "证据行", openCase: "立案", caseOpened: "已立案",
    batchCrossing: "批号串货", outOfTerritory: "区域外销售", buyer: "购买方", batch: "批号", date: "日期",
    groupFilter: "产品组", customerAgreements: "该客户的协议", allProducts: "全部产品",
  },
  en: {
    agreements: "Agreements", accruals: "Rebate accruals", cases: "Diversion cases", customer: "Customer", name: "Name",
    validity: "Valid", inForce: "In force", pending: "Waiting", none: "None", newAgreement: "New agreement",
    newVersion: "Change (new version)", versions: "Versions", version: "Version", status: "Status", requestedBy: "Requested by",
    requestedAt: "Requested at", approval: "Approval", territory: "Territory", provinces: "Provinces", cities: "Cities",
    products: "Products and prices", sku: "Product", group: "Group", price: "Agreed price (base unit)", priceLevel: "Price level",
    targets: "Targets", period: "Period (month or quarter)", quantity: "Quantity", amount: "Amount", rules: "Rebate rules",
    rule: "Rule", basis: "Basis", measure: "Measure", thresholdOf: "Thresholds in", tiers: "Tiers", threshold: "From",
    percent: "Percent", perUnit: "Per unit", conditions: "Conditions", cap: "Cap", noDiversion: "No confirmed diversion",
    maxStockMonths: "Stock at most N months of sales", minMatchRate: "Flow match rate at least", addProduct: "Add a product",
    addTarget: "Add a target", addRule: "Add a rule", addTier: "Add a tier", remove: "Remove", submit: "Send for approval",
    cancel: "Cancel", submitted: "Sent for approval", validFrom: "From", validTo: "To", empty: "Nothing yet",
    noTerms: "No version in force yet", month: "Month", preview: "Preview (computed now)", stored: "Vouchers (frozen at close)",
    gross: "Gross", penalties: "Penalties", net: "Net", totalNet: "Total net", export: "Export to Excel", runState: "Accrual run",
    round: "Round {n}", vouchers: "{n} vouchers", reversal: "Reversal", runAgain: "Run again", runStarted: "Run started again",
    noRun: "The month has not been closed yet", tier: "Tier", rate: "Rate", accrued: "Accrued", target: "Target",
    attainment: "Attainment", counted: "Rows counted", unverified: "Unverified rows", loads: "Files", capped: "Capped",
    met: "met", notMet: "not met", unabsorbed: "Penalty left over", distributor: "Distributor", signal: "Signal",
    opened: "Opened", decision: "Decision", notes: "Investigation notes", addNote: "Add a note", noteAdded: "Added",
    decide: "Decide", confirm: "Confirm", dismiss: "Dismiss", comment: "Comment", penaltyAmount: "Penalty amount",
    forfeit: "Forfeit the month's rebate", decided: "Sent", evidence: "Evidence", openCase: "Open a case",
    caseOpened: "Case opened", batchCrossing: "Batch crossing", outOfTerritory: "Out of territory", buyer: "Buyer",
    batch: "Batch", date: "Date", groupFilter: "Product group", customerAgreements: "This customer's agreements", allProducts: "All products",
  },
});

export const VERSION_STATUSES: Names = {
  pending: { zh: "审批中", en: "Pending" },
  approved: { zh: "生效", en: "In force" },
  rejected: { zh: "已驳回", en: "Rejected" },
  expired: { zh: "已过期", en: "Expired" },
  superseded: { zh: "已被替代", en: "Superseded" },
};
export const VERSION_COLORS: Record<string, string> = { pending: "gold", approved: "green" };
export const VOUCHER_STATUSES: Names = {
  preview: { zh: "预估", en: "Preview" },
  pending: { zh: "待审批", en: "Pending" },
  approved: { zh: "已批准", en: "Approved" },
  rejected: { zh: "已驳回", en: "Rejected" },
  expired: { zh: "已过期", en: "Expired" },
  reversed: { zh: "已冲销", en: "Reversed" },
  reversal: { zh: "冲销单", en: "Reversal" },
};
export const VOUCHER_COLORS: Record<string, string> = {
  preview: "default", pending: "gold", approved: "green", rejected: "red", expired: "default", reversed: "default", reversal: "purple",
};
export const CASE_STATUSES: Names = {
  open: { zh: "调查中", en: "Open" },
  pending: { zh: "确认审批中", en: "Confirmation pending" },
  confirmed: { zh: "已确认", en: "Confirmed" },
  dismissed: { zh: "已驳回", en: "Dismissed" },
};
export const BASES: Names = {
  flow: { zh: "核实流向", en: "Verified flow" },
  sell_in: { zh: "进货（我方发货）", en: "Sell-in (our shipments)" },
  sellout: { zh: "终端销售", en: "Terminal sell-out" },
};
export const MEASURES: Names = { quantity: { zh: "数量", en: "Quantity" }, amount: { zh: "金额", en: "Amount" } };
export const THRESHOLDS: Names = { value: { zh: "数量/金额", en: "Quantity or amount" }, target: { zh: "目标达成%", en: "% of target" } };
export const RUN_STATUSES: Names = {
  running: { zh: "运行中", en: "Running" },
  done: { zh: "已完成", en: "Done" },
  failed: { zh: "失败", en: "Failed" },
};
