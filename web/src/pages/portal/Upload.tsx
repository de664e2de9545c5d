import { InboxOutlined } from "@ant-design/icons";
import { Button, Card, Form, Grid, Progress, Segmented, Table, Tag, Typography, Upload as AntUpload } from "antd";
import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { api, ok } from "../../api/client";
import { lastMonth, MonthPicker } from "../../components/filters";
import { ProblemAlert } from "../../components/Problem";
import { useRemote } from "../../components/useRemote";
import { FILE_KINDS, LOAD_STATUSES, name } from "../../labels";
import { STATUS_COLORS } from "../flow/LoadList";
import { useLang, useT } from "../../i18n";
import { m } from "./messages";
import { sendFile, type FileKind } from "./uploads";

/** A distributor's monthly file: kind, month, the file; a progress bar while it goes up, then its load's page. */
export default function Upload() {
  const t = useT(m);
  const navigate = useNavigate();
  const [kind, setKind] = useState<FileKind>("flow");
  const [period, setPeriod] = useState(lastMonth());
  const [file, setFile] = useState<File>();
  const [percent, setPercent] = useState<number>();
  const [error, setError] = useState<unknown>();
  const phone = !Grid.useBreakpoint().sm; // the three kinds do not fit side by side on a phone

  async function send() {
    if (!file) return setError(new Error(t("chooseFile")));
    setError(undefined);
    setPercent(0);
    try {
      const { loadId } = await sendFile(file, kind, period, setPercent);
      navigate(`/flow/loads/${loadId}`); // the load's page follows the import live
    } catch (err) {
      setError(err);
      setPercent(undefined);
    }
  }

  return (
    <>
      <Typography.Title level={3}>{t("upload")}</Typography.Title>
      <Card style={{ maxWidth: 720 }}>
        <ProblemAlert error={error} onClose={() => setError(undefined)} />
        <Form layout="vertical" onFinish={() => void send()}>
          <Form.Item label={t("kind")}>
            <Segmented
              aria-label={t("kind")}
              vertical={phone}
              value={kind}
              onChange={(value) => setKind(value as FileKind)}
              options={(["flow", "inventory", "sellout"] as const).map((value) => ({ value, label: t(value) }))}
            />
          </Form.Item>
          <Form.Item label={t("month")}>
            <MonthPicker label={t("month")} value={period} onChange={setPeriod} />
          </Form.Item>
          <Form.Item label={t("file")}>
            <AntUpload.Dragger
              accept=".csv,.txt,.xlsx,.xls"
              maxCount={1}
              beforeUpload={(chosen) => {
                setFile(chosen);
                return false; // we send it ourselves, to the presigned form
              }}
              onRemove={() => setFile(undefined)}
              fileList={file ? [{ uid: "file", name: file.name, status: "done" }] : []}
            >
              <p className="ant-upload-drag-icon">
                <InboxOutlined />
              </p>
              <p className="ant-upload-text">{t("drop")}</p>
              <p className="ant-upload-hint">{t("dropHint")}</p>
            </AntUpload.Dragger>
          </Form.Item>
          {percent !== undefined && (
            <div role="status" style={{ marginBottom: 16 }}>
              <Progress percent={percent} />
              <Typography.Text type="secondary">{percent < 100 ? t("sending", { percent }) : t("processing")}</Typography.Text>
            </div>
          )}
          <Button type="primary" htmlType="submit" loading={percent !== undefined} disabled={!file}>
            {t("send")}
          </Button>
        </Form>
      </Card>
      <RecentLoads />
    </>
  );
}

function RecentLoads() {
  const t = useT(m);
  const { lang } = useLang();
  const loads = useRemote(() => ok(api().GET("/flow-loads", { params: { query: { limit: 5 } } })), []);
  return (
    <Card title={t("recent")} extra={<Link to="/flow/loads">{t("all")}</Link>} style={{ maxWidth: 720, marginTop: 16 }} size="small">
      <ProblemAlert error={loads.error} />
      <Table
        rowKey="id"
        size="small"
        pagination={false}
        loading={loads.loading}
        dataSource={loads.data?.items ?? []}
        scroll={{ x: 480 }}
        columns={[
          { title: t("file"), dataIndex: "file_name", render: (v: string, l) => <Link to={`/flow/loads/${l.id}`}>{v}</Link> },
          { title: t("month"), dataIndex: "period", width: 90 },
          { title: t("kind"), dataIndex: "kind", width: 90, render: (v: string) => name(FILE_KINDS, v, lang) },
          { title: t("status"), dataIndex: "status", width: 150, render: (v: string) => <Tag color={STATUS_COLORS[v]}>{name(LOAD_STATUSES, v, lang)}</Tag> },
        ]}
      />
    </Card>
  );
}
