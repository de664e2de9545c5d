import { DownloadOutlined } from "@ant-design/icons";
import { App, Button } from "antd";
import { useState } from "react";
import { api, ok, type Schemas } from "../api/client";
import { defineMessages, useT } from "../i18n";

const m = defineMessages({
  zh: { export: "导出 Excel", running: "正在导出…", ready: "导出完成：{rows} 行", failed: "导出失败" },
  en: { export: "Export to Excel", running: "Exporting…", ready: "Export done: {rows} rows", failed: "Export failed" },
});

/** Exports a list with the filters on screen (POST /exports, a job), then downloads the file when it is done. */
export function ExportButton({ list, filters }: { list: Schemas["ExportRequest"]["list"]; filters: Record<string, unknown> }) {
  const t = useT(m);
  const { message } = App.useApp();
  const [running, setRunning] = useState(false);
  const clean = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined && v !== "" && v !== null));
  async function run() {
    setRunning(true);
    try {
      let job = await ok(api().POST("/exports", { body: { list, filters: clean, format: "xlsx" } }));
      while (job.status === "queued" || job.status === "running") {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        job = await ok(api().GET("/exports/{export_id}", { params: { path: { export_id: job.id } } }));
      }
      if (job.status !== "done" || !job.download_url) throw new Error(job.error ?? t("failed"));
      message.success(t("ready", { rows: job.rows }));
      window.location.assign(job.download_url);
    } catch (err) {
      message.error(err instanceof Error ? err.message : t("failed"));
    } finally {
      setRunning(false);
    }
  }
  return (
    <Button icon={<DownloadOutlined />} loading={running} onClick={() => void run()}>
      {running ? t("running") : t("export")}
    </Button>
  );
}
