/* storepick service worker, served from /sw.js so that its scope is the whole site.
 *
 * The placeholders below are filled in by the server at startup: a hash of
 * the static files (so any change to them installs a new worker and a fresh
 * cache), a JSON array of static URLs to precache, and the camera decoder's
 * files (precached too, but a failure there does not stop the install).
 *
 * Static files and the offline page are cached here. The pick page of an order
 * is saved by the page itself (offline-queue.js, cache "storepick-pages") as it
 * stands, and served from there when a reload finds no network; every other
 * page is network-only, with the offline page when there is none. Scans are
 * posts: they never pass through a cache (the page queues them itself).
 */
'use strict';

const VERSION = '__STATIC_VERSION__';
const PRECACHE = __PRECACHE__;
const DECODER = __DECODER__;
const PAGES = 'storepick-pages';
const PICK_PAGE = /^\/pick\/(runs\/)?\d+$/;  // an order's pick page, or a run's
const OFFLINE_URL = '/offline';
const PREFIX = 'storepick-static-';
const CACHE = PREFIX + VERSION;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // cache: 'reload' so the precache is filled from the server, not from a
    // possibly older copy in the browser's HTTP cache.
    await cache.addAll([...PRECACHE, OFFLINE_URL].map((url) => new Request(url, { cache: 'reload' })));
    // The camera decoder (about 1 MB) so live scanning works offline before its first use.
    await Promise.all(DECODER.map((url) => cache.add(new Request(url, { cache: 'reload' })).catch(() => {})));
    // Static files are versioned and pages are never cached, so there is no
    // old state for an open page to depend on: take over at once.
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const keys = await caches.keys();
    await Promise.all(keys.filter((k) => k.startsWith(PREFIX) && k !== CACHE).map((k) => caches.delete(k)));
    // Navigation preload starts the page request while the worker boots,
    // which is noticeable on slow phones with a network-first strategy.
    if (self.registration.navigationPreload) {
      await self.registration.navigationPreload.enable();
    }
    await self.clients.claim();
  })());
});

function isLiveOrApi(request, url) {
  return url.pathname.startsWith('/api/') ||
    /(^|\/)events(\/|$)/.test(url.pathname) ||
    (request.headers.get('Accept') || '').includes('text/event-stream');
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  try {
    const response = await fetch(request);
    // Only whole, same-origin successes: a 206 cannot be stored and an error
    // page must not stick for the life of this version.
    if (response.status === 200 && response.type === 'basic') {
      cache.put(request, response.clone()).catch(() => {});
    }
    return response;
  } catch (err) {
    // Offline and not cached under this exact URL (the offline page links
    // app.css without ?v=): any cached version of the file beats none.
    const any = await cache.match(request, { ignoreSearch: true });
    if (any) return any;
    throw err;
  }
}

async function networkFirst(event) {
  try {
    const preloaded = await event.preloadResponse;
    return preloaded || await fetch(event.request);
  } catch (err) {
    // A pick page saved by the page itself: the list and the scans waiting on the phone.
    const url = new URL(event.request.url);
    if (PICK_PAGE.test(url.pathname)) {
      const saved = await (await caches.open(PAGES)).match(url.pathname);
      if (saved) return saved;
    }
    // Otherwise show the offline page under the requested URL, so "Try again"
    // reloads the page the picker wanted.
    const offline = await caches.match(OFFLINE_URL);
    return offline || new Response('Offline', {
      status: 503,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  // Non-GET (scans, form posts) must always reach the server, never a cache.
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // The API and SSE streams are live data; an endless stream cannot be cached anyway.
  if (isLiveOrApi(request, url)) return;
  if (url.pathname.startsWith('/static/')) {
    event.respondWith(cacheFirst(request));
  } else if (request.mode === 'navigate') {
    event.respondWith(networkFirst(event));
  }
  // Anything else (htmx fragments, images from the app) goes straight to the
  // network: returning without respondWith leaves the browser's default.
});

// -- Web Push for staff (app/push.py): show the notice; a tap opens its page ----------
self.addEventListener('push', (event) => {
  let notice = {};
  try { notice = event.data ? event.data.json() : {}; } catch (_) { notice = {}; }
  const title = notice.title || 'storepick';
  event.waitUntil(self.registration.showNotification(title, {
    body: notice.body || '',
    tag: notice.tag || undefined,
    data: { url: notice.url || '/' },
    icon: '/static/icons/icon-192.png',
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const wanted = new URL((event.notification.data && event.notification.data.url) || '/',
                         self.location.origin);
  if (wanted.origin !== self.location.origin) return;  // only our own pages
  event.waitUntil((async () => {
    const open = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const client of open) {
      if (new URL(client.url).pathname === wanted.pathname && 'focus' in client) {
        return client.focus();
      }
    }
    return self.clients.openWindow(wanted.href);
  })());
});
