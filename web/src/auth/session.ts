// Sign-in with the authorization-code flow and PKCE against Cognito's hosted UI (locally: the runtime's
// stand-in at the same paths). The ID token is what the API's Cognito authorizer checks.
import { config } from "../config";

export type Role = "rep" | "dept_head" | "branch_head" | "hq_admin" | "distributor" | "finance" | "erp";

export interface User {
  id: string;
  username: string;
  name: string;
  tenantId: string;
  orgUnitId: string;
  roles: Role[];
  distributorId?: string;
}

interface Tokens {
  idToken: string;
  refreshToken: string;
  expiresAt: number; // epoch ms
}

// Tokens in localStorage, shared by the console's tabs (a customer opened in a new tab is signed in too), as
// Amplify keeps Cognito's; the sign-in in progress (PKCE verifier, state) stays with its own tab.
const TOKENS = "crm.tokens";
const PENDING = "crm.signin";
const REFRESH_AHEAD_MS = 5 * 60 * 1000;

let refreshing: Promise<string> | undefined;
let timer: number | undefined;

function stored(): Tokens | undefined {
  const raw = localStorage.getItem(TOKENS);
  return raw ? (JSON.parse(raw) as Tokens) : undefined;
}

function store(tokens: Tokens): void {
  localStorage.setItem(TOKENS, JSON.stringify(tokens));
  scheduleRefresh(tokens);
}

function base64url(bytes: Uint8Array): string {
  let text = "";
  bytes.forEach((b) => (text += String.fromCharCode(b)));
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

function decodePayload(jwt: string): Record<string, string> {
  const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, string>;
}

/** Off to the sign-in page; back at `returnTo` afterwards (by default: where the user is now). */
export async function signIn(returnTo = location.pathname + location.search + location.hash): Promise<never> {
  const { authDomain, clientId, redirectUri } = config();
  const verifier = randomString(48);
  const state = randomString(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: "openid email profile",
    state,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: "S256",
  });
  location.assign(`${authDomain}/oauth2/authorize?${query}`);
  return new Promise<never>(() => {}); // the page is leaving
}

async function tokenRequest(body: Record<string, string>): Promise<Response> {
  const { authDomain, clientId } = config();
  return fetch(`${authDomain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: clientId, ...body }),
  });
}

/** The callback page: trades the code for tokens; returns where to go next. */
export async function completeSignIn(search: string): Promise<string> {
  const params = new URLSearchParams(search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? "null") as
    | { verifier: string; state: string; returnTo: string }
    | null;
  sessionStorage.removeItem(PENDING);
  if (params.get("error")) throw new Error(params.get("error_description") ?? params.get("error") ?? "sign-in failed");
  if (!pending || pending.state !== params.get("state")) throw new Error("This sign-in was not started here; try again.");
  const response = await tokenRequest({
    grant_type: "authorization_code",
    code: params.get("code") ?? "",
    redirect_uri: config().redirectUri,
    code_verifier: pending.verifier,
  });
  if (!response.ok) throw new Error("The sign-in code was refused; try again.");
  const body = (await response.json()) as { id_token: string; refresh_token: string; expires_in: number };
  store({ idToken: body.id_token, refreshToken: body.refresh_token, expiresAt: Date.now() + body.expires_in * 1000 });
  return pending.returnTo.startsWith("/console/callback") ? "/console/" : pending.returnTo;
}

async function refresh(tokens: Tokens): Promise<string> {
  const response = await tokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refreshToken });
  if (!response.ok) return signIn();
  const body = (await response.json()) as { id_token: string; expires_in: number };
  store({ ...tokens, idToken: body.id_token, expiresAt: Date.now() + body.expires_in * 1000 });
  return body.id_token;
}

/** A valid ID token, refreshed first when it expires within five minutes. */
export async function idToken(): Promise<string> {
  const tokens = stored();
  if (!tokens) return signIn();
  if (tokens.expiresAt - Date.now() > REFRESH_AHEAD_MS) return tokens.idToken;
  refreshing ??= refresh(tokens).finally(() => (refreshing = undefined));
  return refreshing;
}

function scheduleRefresh(tokens: Tokens): void {
  window.clearTimeout(timer);
  const due = Math.max(tokens.expiresAt - Date.now() - REFRESH_AHEAD_MS, 1000);
  timer = window.setTimeout(() => void idToken(), due);
}

export function isSignedIn(): boolean {
  const tokens = stored();
  if (tokens && !timer) scheduleRefresh(tokens);
  return tokens !== undefined;
}

export function currentUser(): User | undefined {
  const tokens = stored();
  if (!tokens) return undefined;
  const claims = decodePayload(tokens.idToken);
  return {
    id: claims.sub,
    username: claims["cognito:username"],
    name: claims.name || claims["cognito:username"],
    tenantId: claims["custom:tenant_id"],
    orgUnitId: claims["custom:org_unit_id"],
    roles: (claims["custom:roles"] ?? "").split(",").filter(Boolean) as Role[],
    distributorId: claims["custom:distributor_id"] || undefined,
  };
}

/** The API said 401: the token is no good any more. Drafts are kept (useDraft); sign in and come back. */
export function sessionExpired(): Promise<never> {
  localStorage.removeItem(TOKENS);
  return signIn();
}

/** Where the reps' app keeps the API's last answers for offline use (public/m/sw.js): nothing of them may outlive
 * the session of the rep who read them. */
const API_CACHE = "crm-rep-api";

export async function signOut(): Promise<void> {
  const { authDomain, clientId } = config();
  localStorage.removeItem(TOKENS);
  sessionStorage.clear(); // drafts of half-typed forms (components/draft.ts) are this user's, not the next one's
  if ("caches" in window) await caches.delete(API_CACHE).catch(() => false);
  const home = location.pathname.startsWith("/console/m/") ? "/console/m/" : "/console/"; // the template's LogoutURLs
  const query = new URLSearchParams({ client_id: clientId, logout_uri: `${location.origin}${home}` });
  location.assign(`${authDomain}/logout?${query}`);
}
