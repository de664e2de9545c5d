// The reps' app works without a network once it has been opened: the app shell and its scripts are served from
// the cache (scripts have content-hashed names, so cache-first never serves a stale one), the app's own page
// network-first with the cached copy as fallback, and the API's GETs network-first with the last answer as
// fallback (today's visits, customer cards). Writes never go through here: the app queues them (IndexedDB) and
// sends them to POST /visits/sync when the network is back. The API's answers are kept in a cache of their own,
// which signing out deletes (src/auth/session.ts, API_CACHE): the next person on the phone finds none of them.
const CACHE = "crm-rep-v2";
const API_CACHE = "crm-rep-api";
const SHELL = ["/console/m/", "/console/m/manifest.webmanifest", "/console/m/icon-192.png", "/console/config.json"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE && key !== API_CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

async function cacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(CACHE)).put(request, response.clone());
  return response;
}

async function networkFirst(request, fallback, cacheName = CACHE) {
  try {
    const response = await fetch(request);
    if (response.ok) (await caches.open(cacheName)).put(fallback ?? request, response.clone());
    return response;
  } catch (error) {
    const cached = await caches.match(fallback ?? request);
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/console/assets/")) return event.respondWith(cacheFirst(request));
  if (request.mode === "navigate" && url.pathname.startsWith("/console/m/")) {
    return event.respondWith(networkFirst(request, "/console/m/")); // every route of the app is its one page
  }
  if (url.pathname === "/console/config.json" || SHELL.includes(url.pathname)) {
    return event.respondWith(networkFirst(request));
  }
  if (!url.pathname.startsWith("/console/") && !url.pathname.startsWith("/_local/")) {
    return event.respondWith(networkFirst(request, undefined, API_CACHE)); // the API: the last answer when offline
  }
});
