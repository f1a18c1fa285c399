// Heron companion service worker: caches the app shell (offline start) and shows
// Web Push notifications. A push carries only an id and a generic title; the text
// is fetched by the open app over the authenticated API.
const SHELL = "heron-shell-v1";
const FILES = ["/", "/app.js", "/style.css", "/manifest.webmanifest", "/icon.svg",
               "/icon-192.png", "/icon-512.png"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((c) => c.addAll(FILES)));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || !FILES.includes(url.pathname)) return;
  // Network first, so an updated Heron serves its new app; the cache when offline.
  event.respondWith(fetch(event.request).then((r) => {
    const copy = r.clone();
    caches.open(SHELL).then((c) => c.put(event.request, copy));
    return r;
  }).catch(() => caches.match(event.request)));
});

self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  event.waitUntil(self.registration.showNotification(data.title || "Heron", {
    body: "Open Heron to see it", tag: data.dedup_id, data: {id: data.id},
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(self.clients.matchAll({type: "window"}).then((list) =>
    list.length ? list[0].focus() : self.clients.openWindow("/")));
});
