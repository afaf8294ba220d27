/* Madoguchi's service worker: Web Push only (no caching, no fetch handler: every page comes
   from the server as it is now). Served at /notify/push/sw.js with `Service-Worker-Allowed: /`
   so that its scope is the whole city site.

   A push carries JSON {title, body, url}, decrypted by the browser (RFC 8291). It is shown as
   a notification, and handed to the city's pages open in this browser, which show it in the
   page as well (push.js): a resident who is looking at the ticket page sees it there. */
"use strict";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function readPush(event) {
  var notice = { title: "", body: "", url: "/" };
  if (!event.data) return notice;
  try {
    var data = event.data.json();
    notice.title = String(data.title || "");
    notice.body = String(data.body || "");
    notice.url = String(data.url || "/");
  } catch (error) {
    notice.body = event.data.text();
  }
  return notice;
}

self.addEventListener("push", function (event) {
  var notice = readPush(event);
  var toPages = self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (pages) {
    pages.forEach(function (page) {
      page.postMessage({ type: "madoguchi-push", title: notice.title, body: notice.body, url: notice.url });
    });
  });
  // Without the resident's permission to show notifications (or where a browser refuses),
  // the open pages still get the notice.
  var shown = self.registration.showNotification(notice.title, {
    body: notice.body, data: { url: notice.url }, tag: notice.url, lang: ""
  }).catch(function () {});
  event.waitUntil(Promise.all([toPages, shown]));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/";
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (pages) {
    for (var i = 0; i < pages.length; i += 1) {
      if (pages[i].url === url && "focus" in pages[i]) return pages[i].focus();
    }
    return self.clients.openWindow(url);
  }));
});
