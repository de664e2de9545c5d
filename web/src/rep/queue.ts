// Everything a rep records on a visit goes through this queue, online or not: each action gets its id and time on
// the phone, waits in IndexedDB (a photo with its bytes) and is sent to POST /visits/sync as soon as the network
// allows. The server applies an action id once, so a queue sent twice (a reply lost, two tabs) changes nothing more.
import { api, ok, type Schemas } from "../api/client";

export type Action = Schemas["SyncBatch"]["actions"][number];
export type Result = Schemas["ActionResult"];
interface Queued {
  id: string;
  action: Action;
  photo?: Blob;
}

const STORE = "queue";
let opened: Promise<IDBDatabase> | undefined;

function db(): Promise<IDBDatabase> {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open("crm-rep", 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "id" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

async function run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const store = (await db()).transaction(STORE, mode).objectStore(STORE);
  return new Promise((resolve, reject) => {
    const request = work(store);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export function newId(): string {
  return crypto.randomUUID();
}

export async function enqueue(action: Action, photo?: Blob): Promise<void> {
  await run("readwrite", (store) => store.put({ id: action.id, action, photo } satisfies Queued));
  window.dispatchEvent(new Event("queue-changed"));
}

export async function waiting(): Promise<Queued[]> {
  const all = await run<Queued[]>("readonly", (store) => store.getAll());
  return all.sort((a, b) => a.action.at.localeCompare(b.action.at));
}

async function drop(id: string): Promise<void> {
  await run("readwrite", (store) => store.delete(id));
}

async function postPhoto(item: Queued, result: Result): Promise<void> {
  const answer = (result.result ?? {}) as { photo_id?: string; upload_url?: string; upload_fields?: Record<string, string> };
  if (!item.photo || !answer.upload_url || !answer.photo_id) return;
  const form = new FormData();
  for (const [key, value] of Object.entries(answer.upload_fields ?? {})) form.append(key, value);
  form.append("file", item.photo);
  const sent = await fetch(answer.upload_url, { method: "POST", body: form });
  if (!sent.ok) throw new Error(`photo upload: HTTP ${sent.status}`);
  await ok(api().POST("/visits/{visit_id}/photos/{photo_id}/link", { params: { path: { visit_id: item.action.visit_id, photo_id: answer.photo_id } } }));
}

let flushing: Promise<Result[]> | undefined;

/** Sends what waits; the server's answer per action. Applied and refused ones leave the queue (a refusal is final);
 * `not_ready` ones (a check-out before its check-in arrived) and everything when the network fails stay. */
export function flush(): Promise<Result[]> {
  flushing ??= (async () => {
    try {
      const items = await waiting();
      if (!items.length || !navigator.onLine) return [];
      const reply = await ok(api().POST("/visits/sync", { body: { actions: items.map((i) => i.action) } }));
      for (const result of reply.results) {
        const item = items[result.index];
        if (result.status === "refused" && result.code === "not_ready") continue;
        if (item.action.type === "photo" && result.status !== "refused") await postPhoto(item, result);
        await drop(item.id);
      }
      window.dispatchEvent(new Event("queue-changed"));
      return reply.results;
    } finally {
      flushing = undefined;
    }
  })();
  return flushing;
}
