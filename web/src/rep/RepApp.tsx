import { App, Alert, Badge, Button, Card, DatePicker, Descriptions, Flex, Input, InputNumber, List, Result as ResultPage, Segmented, Select, Space, Spin, Statistic, Tag, Tooltip, Typography } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useCallback, useEffect, useState } from "react";
import { api, ok, type Schemas } from "../api/client";
import { currentUser, isSignedIn, signIn, signOut } from "../auth/session";
import { ProblemAlert } from "../components/Problem";
import { useRemote } from "../components/useRemote";
import { formatAmount, formatDate } from "../format";
import { useT } from "../i18n";
import { m } from "./messages";
import { here, shrink } from "./photo";
import { enqueue, flush, newId, waiting, type Action, type Result } from "./queue";

type Visit = Schemas["Visit"];
const today = () => dayjs().format("YYYY-MM-DD");

/** Keeps the queue moving: on start, when the network comes back, and after each action. */
function useSync() {
  const [online, setOnline] = useState(navigator.onLine);
  const [count, setCount] = useState(0);
  const [last, setLast] = useState<Result[]>();
  const refresh = useCallback(() => void waiting().then((items) => setCount(items.length)), []);
  const send = useCallback(async () => {
    const results = await flush().catch(() => []);
    if (results.length) setLast(results);
    refresh();
    return results;
  }, [refresh]);
  useEffect(() => {
    const up = () => {
      setOnline(true);
      void send();
    };
    const down = () => setOnline(false);
    window.addEventListener("online", up);
    window.addEventListener("offline", down);
    window.addEventListener("queue-changed", refresh);
    void send();
    return () => {
      window.removeEventListener("online", up);
      window.removeEventListener("offline", down);
      window.removeEventListener("queue-changed", refresh);
    };
  }, [send, refresh]);
  return { online, count, last, send };
}

export function RepApp() {
  const t = useT(m);
  const [tab, setTab] = useState<"today" | "week" | "coverage">("today");
  const [open, setOpen] = useState<Visit>();
  const sync = useSync();
  useEffect(() => {
    if (!isSignedIn() && sync.online) void signIn();
  }, [sync.online]);
  const user = currentUser();
  if (!user && !sync.online) {
    // nobody signed in (signed out, or never) and no network to sign in with: say so instead of spinning
    return <ResultPage status="info" title={t("signedOut")} data-testid="signed-out" />;
  }
  if (!user) return <Spin fullscreen />;

  return (
    <div style={{ maxWidth: 560, margin: "0 auto", padding: 12 }}>
      <Flex justify="space-between" align="center" style={{ marginBottom: 8 }}>
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t("title")} · {user.name}
        </Typography.Title>
        <Space>
          <Tag color={sync.online ? "green" : "default"} data-testid="network">
            {sync.online ? t("online") : t("offline")}
          </Tag>
          <Badge count={sync.count} size="small">
            <Button size="small" onClick={() => void sync.send()} disabled={!sync.online} data-testid="sync">
              {t("sync")}
            </Button>
          </Badge>
          {/* visits still on the phone would go out under the next person to sign in (and be refused): they go first */}
          <Tooltip title={sync.count > 0 ? t("syncFirst") : undefined}>
            <Button size="small" onClick={() => void signOut()} disabled={sync.count > 0} data-testid="sign-out">
              {t("signOut")}
            </Button>
          </Tooltip>
        </Space>
      </Flex>
      {sync.count > 0 && <Typography.Text type="secondary" data-testid="waiting">{t("waiting", { n: sync.count })}</Typography.Text>}
      {sync.last && <SyncResults results={sync.last} />}
      {open ? (
        <VisitScreen visit={open} onBack={() => setOpen(undefined)} onAction={() => void sync.send()} />
      ) : (
        <>
          <Segmented
            block
            value={tab}
            onChange={(v) => setTab(v as typeof tab)}
            options={[
              { value: "today", label: t("today") },
              { value: "week", label: t("week") },
              { value: "coverage", label: t("coverage") },
            ]}
            style={{ margin: "8px 0 12px" }}
          />
          {tab === "today" && <Today repId={user.id} onOpen={setOpen} />}
          {tab === "week" && <Week repId={user.id} onOpen={setOpen} />}
          {tab === "coverage" && <Coverage repId={user.id} />}
        </>
      )}
    </div>
  );
}

function SyncResults({ results }: { results: Result[] }) {
  const t = useT(m);
  const applied = results.filter((r) => r.status === "applied").length;
  const again = results.filter((r) => r.status === "already_applied").length;
  const refused = results.filter((r) => r.status === "refused");
  return (
    <Alert
      data-testid="sync-results"
      type={refused.length ? "warning" : "success"}
      title={t("synced", { applied, again, refused: refused.length })}
      description={refused.length ? refused.map((r) => `${r.type}: ${r.detail ?? r.code}`).join("; ") : undefined}
      style={{ margin: "8px 0" }}
      closable
    />
  );
}

function VisitList({ visits, onOpen }: { visits: Visit[]; onOpen: (v: Visit) => void }) {
  const t = useT(m);
  return (
    <List
      dataSource={visits}
      locale={{ emptyText: t("none") }}
      renderItem={(v) => (
        <List.Item onClick={() => onOpen(v)} style={{ cursor: "pointer" }} actions={[<Tag key="s">{t(v.state)}</Tag>]}>
          <List.Item.Meta
            title={<a>{`${v.sequence ?? ""} ${v.customer_name}`.trim()}</a>}
            description={`${formatDate(v.planned_on ?? v.day)}${v.purpose ? ` · ${v.purpose}` : ""}`}
          />
        </List.Item>
      )}
    />
  );
}

function Today({ repId, onOpen }: { repId: string; onOpen: (v: Visit) => void }) {
  const visits = useRemote(() => ok(api().GET("/visits", { params: { query: { on: today(), rep_id: repId, limit: 100 } } })), []);
  const items = [...(visits.data?.items ?? [])].sort((a, b) => (a.sequence ?? 99) - (b.sequence ?? 99));
  return (
    <>
      <ProblemAlert error={visits.error} />
      {visits.loading && !visits.data ? <Spin /> : <VisitList visits={items} onOpen={onOpen} />}
    </>
  );
}

function Week({ repId, onOpen }: { repId: string; onOpen: (v: Visit) => void }) {
  const month = dayjs().format("YYYY-MM");
  const visits = useRemote(() => ok(api().GET("/visits", { params: { query: { month, rep_id: repId, limit: 200 } } })), []);
  const end = dayjs().add(7, "day").format("YYYY-MM-DD");
  const items = (visits.data?.items ?? []).filter((v) => v.day >= today() && v.day <= end).sort((a, b) => a.day.localeCompare(b.day));
  return (
    <>
      <ProblemAlert error={visits.error} />
      <VisitList visits={items} onOpen={onOpen} />
    </>
  );
}

function Coverage({ repId }: { repId: string }) {
  const t = useT(m);
  const report = useRemote(() => ok(api().GET("/visits/coverage", { params: { query: { month: dayjs().format("YYYY-MM"), rep_id: repId } } })), []);
  const total = report.data?.total as { required?: number; done?: number } | undefined;
  return (
    <Card>
      <ProblemAlert error={report.error} />
      <Flex justify="space-around">
        <Statistic title={t("required")} value={total?.required ?? 0} />
        <Statistic title={t("done")} value={total?.done ?? 0} />
        <Statistic title={t("rate")} value={total?.required ? Math.round(((total.done ?? 0) / total.required) * 100) : 0} suffix="%" />
      </Flex>
    </Card>
  );
}

/** An order the customer asks for on the visit: products and quantities; it becomes a saved draft order for the rep. */
function OrderRequest({ onRequest }: { onRequest: (lines: { sku: string; quantity: number }[]) => Promise<Result | undefined> }) {
  const t = useT(m);
  const products = useRemote(() => ok(api().GET("/products", { params: { query: { status: "active", limit: 200 } } })), []);
  const [sku, setSku] = useState<string>();
  const [quantity, setQuantity] = useState<number | null>(1);
  const [answer, setAnswer] = useState<string>();
  async function send() {
    if (!sku || !quantity) return;
    const result = await onRequest([{ sku, quantity }]);
    const order = result?.result as { order_total?: string } | undefined;
    setAnswer(result === undefined ? t("queued") : result.status === "refused" ? result.detail ?? "" : t("orderSaved", { total: formatAmount(order?.order_total) }));
  }
  return (
    <Card size="small" title={t("orderRequest")}>
      <Flex gap={8} wrap>
        <Select
          aria-label={t("product")}
          placeholder={t("product")}
          showSearch={{ optionFilterProp: "label" }}
          value={sku}
          onChange={setSku}
          options={(products.data?.items ?? []).map((p) => ({ value: p.sku, label: `${p.name} ${p.spec ?? ""}`.trim() }))}
          style={{ flex: "1 1 200px" }}
        />
        <InputNumber aria-label={t("quantity")} min={1} precision={0} value={quantity} onChange={setQuantity} style={{ width: 90 }} />
        <Button onClick={() => void send()} disabled={!sku || !quantity}>
          {t("request")}
        </Button>
      </Flex>
      {answer && <Typography.Text type="secondary" data-testid="order-answer">{answer}</Typography.Text>}
    </Card>
  );
}

function VisitScreen({ visit, onBack, onAction }: { visit: Visit; onBack: () => void; onAction: () => void }) {
  const t = useT(m);
  const { message } = App.useApp();
  const fresh = useRemote(() => ok(api().GET("/visits/{visit_id}", { params: { path: { visit_id: visit.id } } })), [visit.id]);
  const customer = useRemote(() => ok(api().GET("/customers/{customer_id}", { params: { path: { customer_id: visit.customer_id } } })), [visit.customer_id]);
  const history = useRemote(() => ok(api().GET("/customers/{customer_id}/visits", { params: { path: { customer_id: visit.customer_id }, query: { limit: 3 } } })), [visit.customer_id]);
  const orders = useRemote(() => ok(api().GET("/orders", { params: { query: { customer_id: visit.customer_id, limit: 3 } } })), [visit.customer_id]);
  const [outcome, setOutcome] = useState<{ type: "success" | "warning" | "error" | "info"; text: string }>();
  const [note, setNote] = useState("");
  const [task, setTask] = useState("");
  const [due, setDue] = useState<Dayjs>(dayjs().add(7, "day"));
  const v = fresh.data ?? visit;
  const c = customer.data;

  /** Queues one action, sends it when online, and says what became of it. */
  async function record(action: Action, photo?: Blob): Promise<Result | undefined> {
    await enqueue(action, photo);
    if (!navigator.onLine) {
      setOutcome({ type: "info", text: action.type === "photo" ? t("photoQueued") : t("queued") });
      return undefined;
    }
    const results = await flush().catch(() => []);
    onAction();
    fresh.reload();
    return results.find((r) => r.id === action.id);
  }

  async function checkIn() {
    let position: GeolocationPosition;
    try {
      position = await here();
    } catch (err) {
      return setOutcome({ type: "error", text: t("noGps", { why: (err as GeolocationPositionError).message }) });
    }
    const { latitude: lat, longitude: lng, accuracy } = position.coords;
    const at = new Date().toISOString();
    const result = await record({ id: newId(), type: "check_in", visit_id: v.id, at, lat, lng, accuracy_m: accuracy });
    if (!result) return;
    if (result.status === "refused") {
      const distance = /([\d.]+) m/.exec(result.detail ?? "")?.[1] ?? "?";
      setOutcome({ type: "error", text: result.code === "outside_geofence" ? t("refused", { d: distance }) : result.detail ?? result.code ?? "" });
    } else {
      const stamp = (await ok(api().GET("/visits/{visit_id}", { params: { path: { visit_id: v.id } } }))) as Visit;
      const d = Math.round(stamp.check_in?.distance_m ?? 0);
      setOutcome(stamp.flagged ? { type: "warning", text: t("flagged", { reason: stamp.flag_reason ?? "" }) } : { type: "success", text: t("checkedIn", { d }) });
    }
  }

  async function takePhoto(file: File) {
    const blob = await shrink(file);
    const position = await here().catch(() => undefined);
    const result = await record(
      { id: newId(), type: "photo", visit_id: v.id, at: new Date().toISOString(), lat: position?.coords.latitude ?? 0, lng: position?.coords.longitude ?? 0, content_type: "image/jpeg" },
      blob,
    );
    if (result) message.success(t(result.status === "refused" ? "refusedShort" : "applied"));
  }

  const address = c?.address ?? "";
  return (
    <>
      <Button onClick={onBack} style={{ marginBottom: 8 }}>
        {t("back")}
      </Button>
      <Card title={v.customer_name} extra={<Tag data-testid="visit-state">{t(v.state)}</Tag>} size="small">
        <Descriptions column={1} size="small">
          <Descriptions.Item label={t("address")}>
            {address || "—"}{" "}
            {address && (
              <a href={`https://uri.amap.com/search?keyword=${encodeURIComponent(address)}`} target="_blank" rel="noreferrer">
                {t("navigate")}
              </a>
            )}
          </Descriptions.Item>
          <Descriptions.Item label={t("level")}>{c?.level ?? "—"}</Descriptions.Item>
          <Descriptions.Item label={t("lastVisit")}>{formatDate(history.data?.items.find((h) => h.id !== v.id)?.day)}</Descriptions.Item>
          <Descriptions.Item label={t("openTasks")}>{(v.tasks ?? []).filter((x) => !x.done).map((x) => x.title).join("、") || "—"}</Descriptions.Item>
          <Descriptions.Item label={t("lastOrders")}>{(orders.data?.items ?? []).map((o) => `${formatDate(o.created_at)} ${formatAmount(o.total)}`).join("；") || "—"}</Descriptions.Item>
        </Descriptions>
      </Card>
      {outcome && <Alert data-testid="outcome" type={outcome.type} title={outcome.text} style={{ margin: "8px 0" }} />}
      <Space orientation="vertical" style={{ width: "100%", marginTop: 8 }}>
        <Flex gap={8}>
          <Button type="primary" block onClick={() => void checkIn()} disabled={v.state !== "planned"}>
            {t("checkIn")}
          </Button>
          <Button block onClick={() => void record({ id: newId(), type: "check_out", visit_id: v.id, at: new Date().toISOString() })}>
            {t("checkOut")}
          </Button>
        </Flex>
        <Input.TextArea aria-label={t("note")} placeholder={t("note")} value={note} onChange={(e) => setNote(e.target.value)} rows={2} />
        <Button
          onClick={() => {
            void record({ id: newId(), type: "note", visit_id: v.id, at: new Date().toISOString(), text: note });
            setNote("");
          }}
          disabled={!note.trim()}
        >
          {t("addNote")}
        </Button>
        <Flex gap={8}>
          <Input aria-label={t("task")} placeholder={t("task")} value={task} onChange={(e) => setTask(e.target.value)} />
          <DatePicker aria-label={t("due")} value={due} onChange={(d) => d && setDue(d)} allowClear={false} inputReadOnly style={{ flex: "none", width: 140 }} />
        </Flex>
        <Button
          onClick={() => {
            void record({ id: newId(), type: "task", visit_id: v.id, at: new Date().toISOString(), title: task, due_on: due.format("YYYY-MM-DD") });
            setTask("");
          }}
          disabled={!task.trim()}
        >
          {t("addTask")}
        </Button>
        <OrderRequest onRequest={(lines) => record({ id: newId(), type: "order_request", visit_id: v.id, at: new Date().toISOString(), lines })} />
        <label>
          <Typography.Text>{t("photo")}</Typography.Text>{" "}
          <input type="file" accept="image/*" capture="environment" aria-label={t("photo")} onChange={(e) => e.target.files?.[0] && void takePhoto(e.target.files[0])} />
        </label>
      </Space>
      <Card title={t("notes")} size="small" style={{ marginTop: 12 }}>
        <List size="small" dataSource={v.notes ?? []} renderItem={(n) => <List.Item>{n.text}</List.Item>} locale={{ emptyText: "—" }} />
      </Card>
      <Card title={t("tasks")} size="small" style={{ marginTop: 12 }}>
        <List size="small" dataSource={v.tasks ?? []} renderItem={(x) => <List.Item extra={formatDate(x.due_on)}>{x.title}</List.Item>} locale={{ emptyText: "—" }} />
      </Card>
    </>
  );
}
