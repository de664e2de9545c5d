import { Alert, App, Button, Card, Descriptions, Empty, Flex, Form, Image, Input, List, Modal, Result, Space, Spin, Table, Tabs, Tag, Typography } from "antd";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { api, ApiProblem, ok, type Schemas } from "../../api/client";
import { ProblemAlert } from "../../components/Problem";
import { useRemote } from "../../components/useRemote";
import { useUser } from "../../components/UserContext";
import { formatDate, formatDateTime } from "../../format";
import { useLang, useT } from "../../i18n";
import { name, VISIT_STATES } from "../../labels";
import { HistoryTable } from "../products/HistoryTable";
import { useUserNames } from "../../components/useUserNames";
import { stateColor } from "./common";
import { m } from "./messages";

type Visit = Schemas["Visit"];
type Stamp = Schemas["Stamp"];

export default function VisitPage() {
  const { id = "" } = useParams();
  const t = useT(m);
  const { lang } = useLang();
  const navigate = useNavigate();
  const nameOf = useUserNames();
  const visit = useRemote(() => ok(api().GET("/visits/{visit_id}", { params: { path: { visit_id: id } } })), [id]);

  if (visit.loading && !visit.data) return <Spin />;
  if (visit.error instanceof ApiProblem && visit.error.status === 404)
    return <Result status="404" title={t("notFound")} extra={<Link to="/visits">{t("back")}</Link>} />;
  if (!visit.data) return <ProblemAlert error={visit.error} />;
  const v = visit.data;

  return (
    <>
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 8 }}>
        <Space wrap>
          <Typography.Title level={3} style={{ margin: 0 }}>
            {t("visitOf", { customer: v.customer_name })}
          </Typography.Title>
          <Tag color={stateColor(v.state)}>{name(VISIT_STATES, v.state, lang)}</Tag>
          {v.flagged && <Tag color="red">{t("flag")}</Tag>}
        </Space>
        <CancelAction visit={v} onDone={visit.reload} />
      </Flex>
      {v.flagged && v.flag_reason && <Alert type="warning" showIcon title={`${t("flagReason")}: ${v.flag_reason}`} style={{ marginBottom: 12 }} />}
      {v.cancel_reason && <Alert type="info" showIcon title={`${t("cancelReason")}: ${v.cancel_reason}`} style={{ marginBottom: 12 }} />}
      <Tabs
        destroyOnHidden
        items={[
          { key: "detail", label: t("tabDetail"), children: <Detail v={v} repName={nameOf(v.rep_id)} /> },
          {
            key: "history",
            label: t("tabHistory"),
            children: <HistoryTable load={(cursor) => ok(api().GET("/visits/{visit_id}/history", { params: { path: { visit_id: id }, query: { cursor } } }))} deps={[id]} />,
          },
        ]}
      />
      <Button type="link" onClick={() => navigate("/visits")}>
        {t("back")}
      </Button>
    </>
  );
}

function StampText({ stamp }: { stamp?: Stamp | null }) {
  const t = useT(m);
  if (!stamp) return <>—</>;
  const where = stamp.lat !== null && stamp.lat !== undefined && stamp.lng !== null && stamp.lng !== undefined ? `${stamp.lat.toFixed(5)}, ${stamp.lng.toFixed(5)}` : t("noPosition");
  return (
    <Space orientation="vertical" size={0}>
      <span>{formatDateTime(stamp.at)}</span>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {where}
        {stamp.accuracy_m !== null && stamp.accuracy_m !== undefined ? ` · ${t("accuracy", { m: Math.round(stamp.accuracy_m) })}` : ""}
      </Typography.Text>
      {stamp.distance_m !== null && stamp.distance_m !== undefined && <Typography.Text strong>{t("distance", { m: Math.round(stamp.distance_m) })}</Typography.Text>}
    </Space>
  );
}

function Detail({ v, repName }: { v: Visit; repName: string }) {
  const t = useT(m);
  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Descriptions bordered size="small" column={{ xs: 1, md: 2, lg: 3 }}>
        <Descriptions.Item label={t("customer")}>
          <Link to={`/customers/${v.customer_id}`}>{v.customer_name}</Link> {v.customer_level && <Tag color="gold">{v.customer_level}</Tag>}
        </Descriptions.Item>
        <Descriptions.Item label={t("rep")}>{repName}</Descriptions.Item>
        <Descriptions.Item label={t("day")}>{formatDate(v.day)}</Descriptions.Item>
        <Descriptions.Item label={t("plannedOn")}>{formatDate(v.planned_on)}</Descriptions.Item>
        <Descriptions.Item label={t("sequence")}>{v.sequence ?? "—"}</Descriptions.Item>
        <Descriptions.Item label={t("purpose")}>{v.purpose ?? "—"}</Descriptions.Item>
        <Descriptions.Item label={t("checkIn")}>
          <StampText stamp={v.check_in} />
        </Descriptions.Item>
        <Descriptions.Item label={t("checkOut")}>
          <StampText stamp={v.check_out} />
        </Descriptions.Item>
        <Descriptions.Item label={t("duration")}>
          {v.duration_seconds !== null && v.duration_seconds !== undefined ? t("minutes", { n: Math.round(v.duration_seconds / 60) }) : "—"}
        </Descriptions.Item>
        <Descriptions.Item label={t("flagReason")}>{v.flag_reason ?? "—"}</Descriptions.Item>
        <Descriptions.Item label={t("created")}>{`${formatDateTime(v.created_at)} · ${v.created_by}`}</Descriptions.Item>
      </Descriptions>
      <Card size="small" title={t("notes")}>
        <List
          size="small"
          dataSource={v.notes ?? []}
          locale={{ emptyText: t("empty") }}
          renderItem={(n) => (
            <List.Item>
              <List.Item.Meta title={n.text} description={`${formatDateTime(n.at)} · ${n.by}`} />
            </List.Item>
          )}
        />
      </Card>
      <Card size="small" title={t("tasks")}>
        <Table
          rowKey="id"
          size="small"
          pagination={false}
          dataSource={v.tasks ?? []}
          locale={{ emptyText: t("empty") }}
          columns={[
            { title: t("title"), dataIndex: "title" },
            { title: t("dueOn"), dataIndex: "due_on", width: 120, render: formatDate },
            { title: t("state"), dataIndex: "done", width: 160, render: (done: boolean, task) => (done ? <Tag color="green">{`${t("done")} ${formatDate(task.done_at)}`}</Tag> : <Tag>{t("open")}</Tag>) },
          ]}
        />
      </Card>
      <Card size="small" title={t("photos")}>
        <Photos v={v} />
      </Card>
      <Card size="small" title={t("orderRequests")}>
        {(v.order_ids ?? []).length ? (
          <Space wrap>
            {(v.order_ids ?? []).map((orderId) => (
              <Link key={orderId} to={`/orders/${orderId}`}>
                {orderId}
              </Link>
            ))}
          </Space>
        ) : (
          <Typography.Text type="secondary">{t("empty")}</Typography.Text>
        )}
      </Card>
    </Space>
  );
}

/** Each linked photo's picture through the short-lived link GET /visits/{id}/photos/{photo_id} gives. */
function Photos({ v }: { v: Visit }) {
  const t = useT(m);
  const photos = v.photos ?? [];
  const links = useRemote(async () => {
    const urls: Record<string, string> = {};
    for (const photo of photos.filter((p) => p.status === "linked")) {
      const link = await ok(api().GET("/visits/{visit_id}/photos/{photo_id}", { params: { path: { visit_id: v.id, photo_id: photo.id } } }));
      urls[photo.id] = link.url;
    }
    return urls;
  }, [v.id, photos.length]);
  if (!photos.length) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("empty")} />;
  return (
    <>
      <ProblemAlert error={links.error} />
      <Space wrap size={16}>
        {photos.map((photo) => (
          <Space key={photo.id} orientation="vertical" size={2}>
            {links.data?.[photo.id] ? (
              <Image src={links.data[photo.id]} width={160} height={120} style={{ objectFit: "cover" }} alt={formatDateTime(photo.taken_at)} />
            ) : (
              <div style={{ width: 160, height: 120, background: "#f5f5f5", display: "grid", placeItems: "center" }}>
                <Typography.Text type="secondary">{t("photoUnavailable")}</Typography.Text>
              </div>
            )}
            <Typography.Text style={{ fontSize: 12 }}>{formatDateTime(photo.taken_at)}</Typography.Text>
            {photo.distance_m !== null && photo.distance_m !== undefined && (
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {t("distance", { m: Math.round(photo.distance_m) })}
              </Typography.Text>
            )}
          </Space>
        ))}
      </Space>
    </>
  );
}

/** The visiting rep may cancel a visit not yet made. */
function CancelAction({ visit, onDone }: { visit: Visit; onDone: () => void }) {
  const t = useT(m);
  const user = useUser();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<unknown>();
  const [form] = Form.useForm();
  if (visit.rep_id !== user.id || visit.state !== "planned") return null;
  async function submit() {
    const { reason } = await form.validateFields();
    try {
      await ok(api().POST("/visits/{visit_id}/cancel", { params: { path: { visit_id: visit.id } }, body: { reason } }));
      message.success(t("cancelled"));
      setOpen(false);
      onDone();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <>
      <Button danger onClick={() => setOpen(true)}>
        {t("cancel")}
      </Button>
      <Modal open={open} title={t("cancel")} onOk={() => void submit()} onCancel={() => setOpen(false)} destroyOnHidden>
        <ProblemAlert error={error} />
        <Form form={form} layout="vertical">
          <Form.Item name="reason" label={t("reason")} rules={[{ required: true }]}>
            <Input.TextArea rows={2} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
