import type { Names } from "../../labels";
import { defineMessages } from "../../i18n";

export const m = defineMessages({
  zh: {
    policy: "渠道政策", policyThreshold: "差异预警阈值", policyCarry: "结账结转", policyKeptYears: "经销商文件保存年限",
    policyKeptHelp: "每个上传的流向、库存、期初、发货文件自上传起锁定保存（不可删除、不可修改），作为返利与窜货处罚的依据。修改只对此后收到的文件生效。",
    years: "年", policySaved: "渠道政策已保存",
    inventory: "渠道库存", sellout: "终端销货", diversion: "窜货预警", month: "月份", distributor: "经销商", empty: "暂无数据",
    sku: "产品", batch: "批号", opening: "期初", inbound: "进货", outbound: "出货", adjustments: "调整",
    expected: "应有结存", reported: "上报结存", variance: "差异", variancePct: "差异率", flags: "标记", batches: "按批号",
    variancesOnly: "只看差异", export: "导出 Excel", exportReady: "已生成 {lines} 行，正在下载", periodState: "期间状态",
    open: "未结账", closed: "已结账", closedAt: "结账时间", closedBy: "结账人", carried: "结转方式", close: "结账",
    closeConfirm: "结账后本月数据冻结，期末结存结转到下月期初。确认结账 {period}？", closedDone: "{period} 已结账",
    reopen: "反结账", reopenReason: "反结账原因", reopened: "{period} 已重新打开", frozen: "已冻结数据", computed: "实时计算",
    threshold: "差异阈值 {pct}%", tabStock: "库存", tabAdjustments: "调整单", tabOpenings: "期初",
    newAdjustment: "新建调整单", quantity: "数量（基本单位）", reason: "原因", status: "状态", requestedBy: "申请人",
    requestedAt: "申请时间", adjustmentSent: "调整单已提交审批", source: "来源", editOpening: "编辑期初",
    openingSaved: "期初已保存", addLine: "添加一行", remove: "删除", save: "保存", cancel: "取消", sellThrough: "动销率",
    groupBy: "汇总方式", terminal: "终端", storeName: "门店名称（文件）", productName: "产品名称", rows: "行数",
    reportedBy: "报送方", unmatched: "未匹配", terminalFilter: "终端", skuFilter: "产品编码", baseQty: "数量（基本单位）",
    batchCrossings: "批号串货", outOfTerritory: "区域外销售", skipped: "未检查（无协议区域）", unjudged: "无法判断",
    foundIn: "出现在", shippedTo: "我方发往", shippedQty: "我方发货数量", soldQty: "销售数量", evidence: "证据行",
    evidenceMore: "共 {total} 行，显示前 {n} 行", buyer: "购买方", region: "所在地区", territory: "协议区域",
    load: "文件", fileRow: "文件行", date: "日期", unmatchedRows: "未匹配行", unknownRegionRows: "地区不明行",
    shipmentWindow: "发货窗口：{months}", noSignals: "本月没有窜货信号", products: "产品", openCase: "立案",
  },
  en: {
    policy: "Channel policy", policyThreshold: "Variance threshold", policyCarry: "Carried at closing",
    policyKeptYears: "Keep distributors' files for",
    policyKeptHelp: "Each uploaded flow, stock, opening or shipments file is locked from its upload (no one can delete or change it): the evidence rebates and diversion penalties rest on. A change applies to files received from then on.",
    years: "years", policySaved: "Channel policy saved",
    inventory: "Channel stock", sellout: "Terminal sell-out", diversion: "Diversion signals", month: "Month", distributor: "Distributor",
    empty: "Nothing yet", sku: "Product", batch: "Batch", opening: "Opening", inbound: "In", outbound: "Out",
    adjustments: "Adjustments", expected: "Expected", reported: "Reported", variance: "Variance", variancePct: "Variance %",
    flags: "Flags", batches: "By batch", variancesOnly: "Variances only", export: "Export to Excel",
    exportReady: "{lines} lines ready, downloading", periodState: "Month", open: "Open", closed: "Closed", closedAt: "Closed at",
    closedBy: "Closed by", carried: "Carried", close: "Close the month",
    closeConfirm: "Closing freezes the month and carries its closing into next month's opening. Close {period}?",
    closedDone: "{period} closed", reopen: "Reopen", reopenReason: "Why reopen it", reopened: "{period} reopened",
    frozen: "Frozen figures", computed: "Computed", threshold: "Threshold {pct}%", tabStock: "Stock", tabAdjustments: "Adjustments",
    tabOpenings: "Openings", newAdjustment: "New adjustment", quantity: "Quantity (base unit)", reason: "Reason", status: "Status",
    requestedBy: "Requested by", requestedAt: "Requested at", adjustmentSent: "Adjustment sent for approval", source: "Source",
    editOpening: "Edit opening", openingSaved: "Opening saved", addLine: "Add a line", remove: "Remove", save: "Save", cancel: "Cancel",
    sellThrough: "Sell-through", groupBy: "Group by", terminal: "Terminal", storeName: "Store name (file)", productName: "Product name",
    rows: "Rows", reportedBy: "Reported by", unmatched: "Unmatched", terminalFilter: "Terminal", skuFilter: "Product code",
    baseQty: "Quantity (base unit)", batchCrossings: "Batch crossings", outOfTerritory: "Out of territory",
    skipped: "Not checked (no territory)", unjudged: "Could not judge", foundIn: "Found in", shippedTo: "We shipped it to",
    shippedQty: "Shipped", soldQty: "Sold", evidence: "Evidence", evidenceMore: "{total} rows, the first {n} shown", buyer: "Buyer",
    region: "Region", territory: "Territory", load: "Load", fileRow: "File row", date: "Date", unmatchedRows: "Unmatched rows",
    unknownRegionRows: "Rows with unknown region", shipmentWindow: "Shipment window: {months}", noSignals: "No diversion signals this month",
    products: "Products", openCase: "Open a case",
  },
});


export const FLAGS: Names = {
  negative_expected: { zh: "应有结存为负", en: "Negative expected" },
  over_threshold: { zh: "差异超阈值", en: "Over threshold" },
  no_stock_report: { zh: "未报库存", en: "No stock report" },
  flow_without_inbound: { zh: "无进货有流向", en: "Flow without inbound" },
};
export const FLAG_COLORS: Record<string, string> = {
  negative_expected: "red", over_threshold: "orange", no_stock_report: "default", flow_without_inbound: "purple",
};
export const ADJUSTMENT_STATUSES: Names = {
  pending: { zh: "审批中", en: "Pending" },
  approved: { zh: "已批准", en: "Approved" },
  rejected: { zh: "已驳回", en: "Rejected" },
  withdrawn: { zh: "已撤回", en: "Withdrawn" },
  expired: { zh: "已过期", en: "Expired" },
};
export const OPENING_SOURCES: Names = {
  manual: { zh: "手工录入", en: "By hand" },
  file: { zh: "期初文件", en: "Opening file" },
  carried: { zh: "上月结转", en: "Carried over" },
};
export const CARRIED: Names = {
  reported: { zh: "按上报结存", en: "Reported closing" },
  computed: { zh: "按计算结存", en: "Computed closing" },
};
export const GROUP_BY: Names = {
  terminal_product: { zh: "终端 × 产品", en: "Terminal × product" },
  terminal: { zh: "按终端", en: "By terminal" },
  product: { zh: "按产品", en: "By product" },
};
