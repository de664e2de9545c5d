// The one way the console talks to the API: openapi-fetch over the types generated from
// schemas/openapi.json (npm run gen; a test fails when they drift from the spec).
import createClient, { type Client, type Middleware } from "openapi-fetch";
import { idToken, sessionExpired } from "../auth/session";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"] & Record<string, unknown>;

/** A problem+json answer (RFC 9457) as an exception, with the HTTP status. */
export class ApiProblem extends Error {
  constructor(
    readonly problem: Problem,
    readonly status: number,
  ) {
    super(problem.detail || problem.title);
  }
  get fieldErrors(): { field: string; message: string }[] {
    return this.problem.errors ?? [];
  }
}

const auth: Middleware = {
  async onRequest({ request }) {
    request.headers.set("Authorization", `Bearer ${await idToken()}`);
    return request;
  },
  async onResponse({ response }) {
    if (response.status === 401) await sessionExpired();
    return response;
  },
};

let client: Client<paths> | undefined;
let base = "";

export function api(): Client<paths> {
  if (!client) throw new Error("setBaseUrl() first");
  return client;
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The problem an error answer carries; one made from the status when its body is not problem+json. */
function problemOf(error: unknown, response: Response): ApiProblem {
  const body = (error && typeof error === "object" ? error : {}) as Partial<Problem>;
  const problem = {
    title: body.title ?? response.statusText ?? "Error",
    status: body.status ?? response.status,
    detail: body.detail ?? (typeof error === "string" ? error : ""),
    ...body,
  } as Problem;
  return new ApiProblem(problem, response.status);
}

/** The data of a 2xx answer; an ApiProblem for any other. */
export async function ok<T>(call: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  throw problemOf(error, response);
}

/** Like ok(), with the response's ETag (send it back as If-Match). */
export async function withEtag<T>(call: Promise<Answer<T>>): Promise<{ data: T; etag: string }> {
  const answer = await call;
  const data = await ok(Promise.resolve(answer));
  return { data, etag: answer.response.headers.get("ETag") ?? "" };
}

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/** Downloads a file the API answers with (XLSX, CSV) under the name its Content-Disposition gives. */
export async function download(path: string, fallbackName: string): Promise<void> {
  // API Gateway hands a binary body over decoded only to a client whose first Accept type is a binary media type.
  const headers = { Authorization: `Bearer ${await idToken()}`, Accept: `${XLSX}, */*` };
  const response = await fetch(`${baseUrl()}${path}`, { headers });
  if (response.status === 401) await sessionExpired();
  if (!response.ok) throw problemOf(await response.json().catch(() => ({})), response);
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const name = /filename\*=UTF-8''([^;]+)/.exec(disposition)?.[1] ?? /filename="?([^";]+)"?/.exec(disposition)?.[1];
  saveBlob(await response.blob(), name ? decodeURIComponent(name) : fallbackName);
}

export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function baseUrl(): string {
  return base;
}

export function setBaseUrl(url: string): void {
  base = url.replace(/\/$/, "");
  client = createClient<paths>({ baseUrl: base });
  client.use(auth);
}
