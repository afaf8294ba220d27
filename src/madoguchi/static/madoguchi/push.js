/* Web Push on a city page (My Page's notifications page, the queue ticket page): a form marked
   `data-push-subscribe` is shown only where the browser can take push messages; submitting it
   registers the service worker, subscribes with the city's key (data-key) and POSTs the
   subscription with the form's own fields (CSRF token, the ticket's threshold). Without
   JavaScript, a service worker or PushManager the form stays hidden: the page offers e-mail.

   Pushes that arrive while a city page is open are shown in the page too (the service worker
   posts them here): #push-inbox, a status region at the top of the main content. */
(function () {
  "use strict";

  var supported = "serviceWorker" in navigator && "PushManager" in window && window.isSecureContext;

  function keyBytes(base64url) {
    var base64 = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(base64), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function say(form, state) {
    var status = form.querySelector("[data-push-status]");
    form.setAttribute("data-state", state);
    if (status) status.textContent = form.getAttribute("data-t-" + state) || "";
  }

  function subscribe(form) {
    var button = form.querySelector("button");
    if (button) button.disabled = true;
    say(form, "working");
    navigator.serviceWorker.register(form.getAttribute("data-worker"), { scope: "/" })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function (registration) {
        return registration.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: keyBytes(form.getAttribute("data-key"))
        });
      })
      .then(function (subscription) {
        var body = new FormData(form);
        body.set("subscription", JSON.stringify(subscription.toJSON ? subscription.toJSON() : subscription));
        return fetch(form.action, {
          method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" }
        });
      })
      .then(function (response) {
        return response.json().then(function (data) { if (!response.ok) throw data; return data; });
      })
      .then(function (data) {
        say(form, "done");
        if (data.next) window.location.assign(data.next);
      })
      .catch(function () { say(form, "failed"); })
      .then(function () { if (button) button.disabled = false; });
  }

  function offer(form) {
    var part = form.closest("[data-push-part]") || form;
    part.hidden = false;
    form.hidden = false;
    form.addEventListener("submit", function (event) { event.preventDefault(); subscribe(form); });
  }

  // The key is in the form (data-key) or at the city's key URL (data-key-url, My Page).
  if (supported) {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-push-subscribe]"), function (form) {
      if (form.getAttribute("data-key")) { offer(form); return; }
      var keyUrl = form.getAttribute("data-key-url");
      if (!keyUrl) return;
      fetch(keyUrl, { credentials: "same-origin" })
        .then(function (response) { if (!response.ok) throw new Error(String(response.status)); return response.json(); })
        .then(function (data) {
          if (!data.applicationServerKey) return;
          form.setAttribute("data-key", data.applicationServerKey);
          offer(form);
        }, function () {});
    });
  }

  function inbox() {
    var box = document.getElementById("push-inbox");
    if (box) return box;
    box = document.createElement("div");
    box.id = "push-inbox";
    box.className = "msg push-inbox";
    box.setAttribute("role", "status");
    box.setAttribute("aria-live", "polite");
    var main = document.querySelector("main") || document.body;
    main.insertBefore(box, main.firstChild);
    return box;
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      var data = event.data || {};
      if (data.type !== "madoguchi-push") return;
      var box = inbox(), item = document.createElement("p"), link = document.createElement("a");
      item.className = "push-notice";
      link.href = data.url || "/";
      link.textContent = data.title || "";
      item.appendChild(link);
      if (data.body) item.appendChild(document.createTextNode(" " + data.body));
      box.appendChild(item);
      box.setAttribute("data-count", String(box.querySelectorAll(".push-notice").length));
    });
    if (navigator.serviceWorker.startMessages) navigator.serviceWorker.startMessages();
  }
})();
