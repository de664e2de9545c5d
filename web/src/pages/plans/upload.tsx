// A file import the API takes through an upload form (a presigned POST): ask for the ticket, POST the file to S3
// from the browser, then follow the import record until it ends and show its report (with the bad rows).
import { UploadOutlined } from "@ant-design/icons";
import { Alert, Button, Descriptions, Modal, Space, Table, Tag, Typography, Upload } from "antd";
import { useEffect, useState, type ReactNode } from "react";
import { ProblemAlert } from "../../components/Problem";
import { useT } from "../../i18n";
import { m } from "./messages";

export interface Ticket {
  url: string;
  fields: Record<string, unknown>;
  max_bytes: number;
  import_id: string;
}

export interface ImportRecord {
  id: string;
  status: string;
  rows?: number;
  rejected?: number;
  rejection?: Record<string, unknown> | null;
  error_report?: { csv: string; xlsx: string } | null;
}

const RUNNING = ["awaiting_upload", "processing"];

/** POSTs the file to the upload form: every field as given, then the file last, named `file` (S3 answers 204). */
export async function postToTicket(ticket: Ticket, file: File): Promise<void> {
  const form = new FormData();
  for (const [key, value] of Object.entries(ticket.fields)) form.append(key, String(value));
  form.append("file", file);
  const response = await fetch(ticket.url, { method: "POST", body: form });
  if (!response.ok) {
    const text = await response.text();
    const code = /<Code>(.*?)<\/Code>/.exec(text)?.[1] ?? response.status;
    const detail = /<Message>(.*?)<\/Message>/.exec(text)?.[1] ?? response.statusText;
    throw new Error(`${code}: ${detail}`);
  }
}

export function ImportDialog<R extends ImportRecord>(props: {
  open: boolean;
  title: string;
  hint: ReactNode;
  accept?: string;
  start: (fileName: string) => Promise<Ticket>;
  poll: (id: string) => Promise<R>;
  summary: (record: R) => ReactNode; // what the finished import did, in the caller's words
  onFinished?: (record: R) => void;
  onClose: () => void;
}) {
  const t = useT(m);
  const [file, setFile] = useState<File>();
  const [phase, setPhase] = useState<"idle" | "uploading" | "processing">("idle");
  const [record, setRecord] = useState<R>();
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    if (props.open) {
      setFile(undefined);
      setRecord(undefined);
      setError(undefined);
      setPhase("idle");
    }
  }, [props.open]);

  async function run() {
    if (!file) return;
    setError(undefined);
    setRecord(undefined);
    try {
      setPhase("uploading");
      const ticket = await props.start(file.name);
      if (file.size > ticket.max_bytes) throw new Error(t("tooBig", { mb: Math.floor(ticket.max_bytes / 1048576) }));
      await postToTicket(ticket, file);
      setPhase("processing");
      let current = await props.poll(ticket.import_id);
      for (let tries = 0; RUNNING.includes(current.status) && tries < 180; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        current = await props.poll(ticket.import_id);
      }
      setRecord(current);
      if (!RUNNING.includes(current.status)) props.onFinished?.(current);
    } catch (err) {
      setError(err);
    } finally {
      setPhase("idle");
    }
  }

  const busy = phase !== "idle";
  return (
    <Modal
      open={props.open}
      title={props.title}
      onCancel={props.onClose}
      width={760}
      footer={
        <Space>
          <Button onClick={props.onClose}>{t("close")}</Button>
          <Button type="primary" disabled={!file} loading={busy} onClick={() => void run()}>
            {phase === "uploading" ? t("uploading") : phase === "processing" ? t("processing") : t("upload")}
          </Button>
        </Space>
      }
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">{props.hint}</Typography.Paragraph>
      <Upload
        accept={props.accept ?? ".xlsx,.csv"}
        maxCount={1}
        beforeUpload={(chosen) => {
          setFile(chosen);
          setRecord(undefined);
          return false; // we upload it ourselves, to the form the API gives
        }}
        onRemove={() => setFile(undefined)}
        fileList={file ? [{ uid: "chosen", name: file.name, status: "done" }] : []}
      >
        <Button icon={<UploadOutlined />} disabled={busy}>
          {t("chooseFile")}
        </Button>
      </Upload>
      <div style={{ marginTop: 16 }}>
        <ProblemAlert error={error} />
        {record && <ImportReport record={record} summary={props.summary} />}
      </div>
    </Modal>
  );
}

export function ImportReport<R extends ImportRecord>({ record, summary }: { record: R; summary: (record: R) => ReactNode }) {
  const t = useT(m);
  const failed = record.status === "rejected";
  const statusKey = `importStatus_${record.status}` as Parameters<typeof t>[0];
  return (
    <>
      <Alert
        type={failed ? "error" : record.status === "completed" ? "success" : "warning"}
        showIcon
        role="status"
        data-testid="import-result"
        title={summary(record)}
        style={{ marginBottom: 12 }}
      />
      <Descriptions size="small" bordered column={3} style={{ marginBottom: 12 }}>
        <Descriptions.Item label={t("status")}>
          <Tag color={failed ? "red" : record.status === "completed" ? "green" : "orange"}>{t(statusKey)}</Tag>
        </Descriptions.Item>
        <Descriptions.Item label={t("rows")}>{record.rows ?? 0}</Descriptions.Item>
        <Descriptions.Item label={t("rejected")}>{record.rejected ?? 0}</Descriptions.Item>
        {record.rejection && (
          <Descriptions.Item label={t("reason")} span={3}>
            {String(record.rejection.message ?? record.rejection.detail ?? JSON.stringify(record.rejection))}
          </Descriptions.Item>
        )}
      </Descriptions>
      {record.error_report && <ErrorRows links={record.error_report} />}
    </>
  );
}

/** The error report's rows (its CSV, read from the link the API gives), with the links to download it. */
function ErrorRows({ links }: { links: { csv: string; xlsx: string } }) {
  const t = useT(m);
  const [rows, setRows] = useState<string[][]>();
  useEffect(() => {
    fetch(links.csv)
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error(r.statusText))))
      .then((text) => setRows(parseCsv(text.replace(/^\uFEFF/, ""))))
      .catch(() => setRows([]));
  }, [links.csv]);
  const [header = [], ...body] = rows ?? [];
  return (
    <>
      <Space style={{ marginBottom: 8 }}>
        <Typography.Text strong>{t("errorReport")}</Typography.Text>
        <a href={links.csv}>{t("downloadCsv")}</a>
        <a href={links.xlsx}>{t("downloadXlsx")}</a>
      </Space>
      {header.length > 0 && (
        <Table
          size="small"
          rowKey={(_, i) => String(i)}
          loading={rows === undefined}
          dataSource={body.slice(0, 200).map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ""])))}
          columns={header.map((h, i) => ({ title: h, dataIndex: h, width: i === header.length - 1 ? undefined : 110 }))}
          pagination={false}
          scroll={{ x: 600, y: 300 }}
        />
      )}
    </>
  );
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += c;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows.filter((r) => r.some((v) => v !== ""));
}
