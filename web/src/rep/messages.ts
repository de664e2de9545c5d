import { defineMessages } from "../i18n";

export const m = defineMessages({
  zh: {
    title: "今日拜访", week: "本周计划", coverage: "本月覆盖", today: "今日", offline: "离线", online: "在线",
    waiting: "{n} 条待同步", sync: "同步", synced: "已同步：{applied} 条生效，{again} 条此前已生效，{refused} 条被拒绝",
    none: "今天没有计划的拜访", back: "返回", address: "地址", level: "等级", lastVisit: "上次拜访", openTasks: "待办",
    lastOrders: "最近订单", navigate: "导航到这里", checkIn: "签到", checkOut: "签退", checkedIn: "已签到，距离客户 {d} 米",
    flagged: "已签到，但已标记：{reason}", refused: "未能签到：距离客户 {d} 米，超出签到范围", queued: "已保存在手机上，联网后自动同步",
    note: "拜访记录", addNote: "添加记录", task: "跟进事项", due: "截止日期", addTask: "添加待办", photo: "拍照", photoQueued: "照片已保存，联网后上传",
    notes: "记录", tasks: "待办", noGps: "无法取得位置：{why}", state: "状态", planned: "计划中", checked_in: "已签到",
    checked_out: "已签退", cancelled: "已取消", required: "应访", done: "已访", rate: "覆盖率", results: "同步结果",
    applied: "已生效", already_applied: "此前已生效", refusedShort: "被拒绝",
    orderRequest: "客户要货", product: "产品", quantity: "数量", request: "提交要货", orderSaved: "已生成待提交的订单：{total}",
    signOut: "退出", syncFirst: "还有拜访未同步：联网同步后再退出", signedOut: "未登录：手机联网后即可登录",
  },
  en: {
    title: "Today's visits", week: "This week", coverage: "This month", today: "Today", offline: "Offline", online: "Online",
    waiting: "{n} waiting to sync", sync: "Sync", synced: "Synced: {applied} applied, {again} already applied, {refused} refused",
    none: "No visits planned today", back: "Back", address: "Address", level: "Level", lastVisit: "Last visit", openTasks: "Open tasks",
    lastOrders: "Last orders", navigate: "Navigate here", checkIn: "Check in", checkOut: "Check out", checkedIn: "Checked in, {d} m from the customer",
    flagged: "Checked in, flagged: {reason}", refused: "Not checked in: {d} m from the customer, outside the fence", queued: "Saved on the phone; it syncs when online",
    note: "Note", addNote: "Add note", task: "Follow-up", due: "Due", addTask: "Add task", photo: "Photo", photoQueued: "Photo saved; it uploads when online",
    notes: "Notes", tasks: "Tasks", noGps: "No position: {why}", state: "State", planned: "Planned", checked_in: "Checked in",
    checked_out: "Checked out", cancelled: "Cancelled", required: "Required", done: "Done", rate: "Coverage", results: "Sync results",
    applied: "applied", already_applied: "already applied", refusedShort: "refused",
    orderRequest: "Order request", product: "Product", quantity: "Quantity", request: "Request", orderSaved: "A draft order was saved: {total}",
    signOut: "Sign out", syncFirst: "Visits are waiting to sync: sync them before signing out", signedOut: "Nobody is signed in: sign in once the phone is online",
  },
});
