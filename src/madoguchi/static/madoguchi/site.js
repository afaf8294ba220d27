/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";

  // Conditional fields: hide those whose condition is not met (the server decides anyway).
  function valueOf(form, name, scopeEl) {
    var root = scopeEl || form;
    var inputs = root.querySelectorAll("[name='" + name + "'], [name$='-" + name + "']");
    var values = [];
    inputs.forEach(function (el) {
      if ((el.type === "radio" || el.type === "checkbox")) {
        if (el.checked) values.push(el.type === "checkbox" && el.value === "on" ? "on" : el.value);
      } else if (el.value) values.push(el.value);
    });
    return values;
  }
  function refresh(form) {
    form.querySelectorAll("[data-show-if]").forEach(function (el) {
      var scope = el.dataset.scope === "item" ? el.closest("fieldset.item") : null;
      var values = valueOf(form, el.dataset.showIf, scope);
      var show;
      if (el.dataset.showChecked) show = (values.length > 0) === (el.dataset.showChecked === "True");
      else if (el.dataset.showEquals) show = values.indexOf(el.dataset.showEquals) >= 0;
      else show = el.dataset.showIn.split(",").some(function (v) { return values.indexOf(v) >= 0; });
      el.hidden = !show;
      var note = el.querySelector(".condition");
      if (note) note.hidden = true;
    });
  }
  document.querySelectorAll("form[data-form]").forEach(function (form) {
    refresh(form);
    form.addEventListener("change", function () { refresh(form); });
  });

  // A refused step: the error summary takes the focus (autofocus does it without this file;
  // this covers browsers that ignore autofocus on a non-control), and each entry's link moves
  // the focus into its field — for a group of choices, the first choice — not just the view.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    if (document.activeElement !== summary) summary.focus();
    summary.querySelectorAll("a[href^='#']").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
        if (!target) return;
        var control = target.matches("input, select, textarea") ? target
          : target.querySelector("input:not([type=hidden]), select, textarea");
        if (!control) return;
        event.preventDefault();
        control.focus();
        (target.closest(".field") || target).scrollIntoView({ block: "start" });
      });
    });
  }

  // Print buttons: a data-print attribute instead of an inline onclick, which the
  // Content-Security-Policy (script-src 'self') would block.
  // A page waiting on something done elsewhere (the visitor signing on the counter's tablet) asks
  // for its state every 3 seconds and reloads once it has changed, never while nothing happened.
  document.querySelectorAll("[data-follow-state]").forEach(function (el) {
    var timer = setInterval(function () {
      fetch(el.dataset.followState, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (state) {
          if (state && state.status !== el.dataset.status) { clearInterval(timer); location.reload(); }
        })
        .catch(function () {});
    }, 3000);
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // Submit once: a double click sends one request (the server also returns the same receipt).
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    });
  });

  // Postal code look-up without leaving the page.
  document.querySelectorAll("[data-lookup]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      var input = document.getElementById(button.dataset.lookup);
      var target = document.getElementById(button.dataset.target);
      if (!input || !target || !window.fetch) return;
      event.preventDefault();
      fetch("/api/postal-codes/" + encodeURIComponent(input.value.replace(/[^0-9\uFF10-\uFF19]/g, "")))
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (data && data.addresses.length) { target.value = data.addresses[0]; target.focus(); }
        });
    });
  });

  // The card login page moves on by itself once the card client has answered.
  document.querySelectorAll("[data-card-challenge]").forEach(function (box) {
    var status = box.querySelector(".card-status");
    var poll = function () {
      fetch(box.dataset.cardChallenge, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          if (data.state === "verified") { document.getElementById(box.dataset.finishForm).submit(); return; }
          if (data.state === "rejected") { status.textContent = data.message; return; }
          setTimeout(poll, 2000);
        });
    };
    setTimeout(poll, 1000);
  });

  // Read aloud: the browser's own speech synthesis reads the main content in the page's
  // language; pressed again, it stops. Nothing is sent anywhere. The button's words come from
  // the template (data-label-start, data-label-stop); without speech synthesis it stays hidden.
  var reader = document.querySelector("[data-read-aloud]");
  var main = document.getElementById("main");
  if (reader && main && window.speechSynthesis && window.SpeechSynthesisUtterance) {
    var speech = window.speechSynthesis;
    var label = function (speaking) {
      reader.textContent = speaking ? reader.dataset.labelStop : reader.dataset.labelStart;
    };
    var mainText = function () {
      var copy = main.cloneNode(true);
      // Not read: ruby readings (the base text is), hidden parts, scripts.
      copy.querySelectorAll("rt, rp, script, style, template, [hidden], [aria-hidden='true']")
        .forEach(function (el) { el.remove(); });
      return copy.textContent.replace(/\s+/g, " ").trim();
    };
    reader.hidden = false;
    reader.addEventListener("click", function () {
      if (speech.speaking || speech.pending) { speech.cancel(); label(false); return; }
      var utterance = new window.SpeechSynthesisUtterance(mainText());
      utterance.lang = document.documentElement.lang || "ja";
      utterance.onend = utterance.onerror = function () { label(false); };
      speech.speak(utterance);
      label(true);
    });
    window.addEventListener("pagehide", function () { speech.cancel(); });
  }

  // Warn before the session ends (two minutes ahead, or halfway for short sessions);
  // its "continue" button touches the server, which renews the session.
  var seconds = parseInt(document.body.dataset.sessionSeconds || "0", 10);
  var warning = document.getElementById("timeout-warning");
  if (seconds > 0 && warning && document.querySelector("form[data-form], form[data-once]")) {
    var lead = Math.min(120, seconds / 2);
    var timer;
    var arm = function () {
      clearTimeout(timer);
      timer = setTimeout(function () { warning.hidden = false; warning.querySelector("button").focus(); },
                         (seconds - lead) * 1000);
    };
    warning.querySelector("[data-keepalive]").addEventListener("click", function () {
      fetch(window.location.href, { credentials: "same-origin" }).then(function () { warning.hidden = true; arm(); });
    });
    arm();
  }

  // Web Push (push.js) is fetched only where a page offers it and the browser can take push
  // messages: a phone that cannot never downloads it.
  var pushForm = document.querySelector("form[data-push-script]");
  if (pushForm && "serviceWorker" in navigator && "PushManager" in window && window.isSecureContext) {
    var pushScript = document.createElement("script");
    pushScript.src = pushForm.getAttribute("data-push-script");
    document.head.appendChild(pushScript);
  }
})();
