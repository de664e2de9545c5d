import { defineMessages } from "../../i18n";

export const m = defineMessages({
  zh: {
    upload: "上传文件", kind: "文件类型", month: "所属月份", file: "文件", drop: "点击或将文件拖到这里",
    dropHint: "支持 CSV、TXT（制表符分隔）和 Excel（xlsx）；按月上传，同一月份再次上传将替换上一份",
    send: "上传", sending: "正在上传… {percent}%", processing: "已上传，正在导入…", chooseFile: "请选择文件",
    flow: "流向（销售明细）", inventory: "库存（月末结存）", sellout: "终端销售", recent: "最近上传", status: "状态", all: "全部记录",
    mapTitle: "对应文件的列", mapHint: "文件缺少必需的列。请为每一项选择您文件中的列名；保存后将按此模板重新导入同一文件。",
    column: "系统需要的列", yourHeader: "您文件中的列", required: "必填", dateFormat: "日期格式", auto: "自动识别",
    preview: "预览（按此对应读取的前几行）", noPreview: "Excel 文件无法在浏览器中预览，保存后将直接重新导入。",
    saveAndImport: "保存模板并重新导入", saveOnly: "保存模板", saved: "模板已保存，正在重新导入…",
    uploadAgain: "模板已保存。请重新上传该文件。", pick: "请选择", missingRequired: "请为必填项选择列：{list}",
  },
  en: {
    upload: "Upload a file", kind: "Kind of file", month: "Month", file: "File", drop: "Click or drop a file here",
    dropHint: "CSV, TXT (tab-separated) or Excel (xlsx); one file per month, a new upload for a month replaces the last",
    send: "Upload", sending: "Uploading… {percent}%", processing: "Uploaded, importing…", chooseFile: "Choose a file",
    flow: "Flow (sales lines)", inventory: "Stock (month-end)", sellout: "Terminal sell-out", recent: "Recent uploads", status: "Status", all: "All files",
    mapTitle: "Match your file's columns", mapHint: "The file lacks columns we need. Pick the column of your file for each; saving imports the same file again with this template.",
    column: "Column we need", yourHeader: "Your file's column", required: "required", dateFormat: "Date format", auto: "Detect",
    preview: "Preview (the first rows as they would be read)", noPreview: "An Excel file cannot be previewed in the browser; it is imported again once saved.",
    saveAndImport: "Save the template and import again", saveOnly: "Save the template", saved: "Template saved, importing again…",
    uploadAgain: "Template saved. Upload the file again.", pick: "Choose", missingRequired: "Choose a column for: {list}",
  },
});
