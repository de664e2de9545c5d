import { Button, Space, Typography } from "antd";
import { defineMessages, useT } from "../i18n";

const m = defineMessages({
  zh: { previous: "上一页", next: "下一页", page: "第 {n} 页" },
  en: { previous: "Previous", next: "Next", page: "Page {n}" },
});

export function Pager(props: { pageNumber: number; hasNext: boolean; next: () => void; previous: () => void }) {
  const t = useT(m);
  return (
    <Space style={{ marginTop: 12, justifyContent: "flex-end", width: "100%" }}>
      <Button onClick={props.previous} disabled={props.pageNumber <= 1}>
        {t("previous")}
      </Button>
      <Typography.Text type="secondary">{t("page", { n: props.pageNumber })}</Typography.Text>
      <Button onClick={props.next} disabled={!props.hasNext}>
        {t("next")}
      </Button>
    </Space>
  );
}
