/* Madoguchi queue pages: the waiting-room display and the phone status page follow the
   server-sent events stream (EventSource reconnects and resumes with Last-Event-ID by itself);
   without EventSource they poll the JSON. Without JavaScript the pages refresh themselves. */
(function () {
  "use strict";

  var printButton = document.querySelector("[data-print]");
  if (printButton) printButton.addEventListener("click", function () { window.print(); });
  // The kiosk goes back to its first screen by itself for the next visitor.
  var kioskReturn = document.querySelector("[data-kiosk-return]");
  if (kioskReturn) setTimeout(function () { window.location.href = kioskReturn.href; }, 60000);

  // Follow a stream of `eventName` events. A stream that ends (the server closes it after a
  // while, or at once on a single-threaded server) is reopened by EventSource itself, resuming
  // after its last id. If the stream cannot be opened at all (three failures in a row, or refused
  // outright), poll the JSON instead: the page keeps working, a little later.
  function follow(eventsUrl, pollUrl, onData, onState, eventName) {
    var polling = false;
    var poll = function () {
      fetch(pollUrl, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(function (data) { onData(data); onState(true); }, function () { onState(false); })
        .then(function () { setTimeout(poll, 3000); });
    };
    var startPolling = function () { if (!polling) { polling = true; poll(); } };
    if (!window.EventSource) { startPolling(); return; }
    var source = new EventSource(eventsUrl), opened = false, failures = 0;
    source.addEventListener(eventName || "board", function (e) {
      failures = 0; onData(JSON.parse(e.data)); onState(true);
    });
    source.addEventListener("open", function () { opened = true; onState(true); });
    source.addEventListener("error", function () {
      onState(false);  // EventSource is reconnecting (or gave up: then poll)
      if (opened && source.readyState !== EventSource.CLOSED) { opened = false; return; }  // a stream that ended
      opened = false;
      failures += 1;
      if (source.readyState === EventSource.CLOSED || failures >= 3) { source.close(); startPolling(); }
    });
  }

  // --- the display ---------------------------------------------------------------------
  // The words come from the page (data-t-* attributes, translated by the server): {name} is filled in.
  var words = function (el, key, values) {
    var text = el.dataset["t" + key.charAt(0).toUpperCase() + key.slice(1)] || "";
    Object.keys(values || {}).forEach(function (name) { text = text.split("{" + name + "}").join(String(values[name])); });
    return text;
  };

  var display = document.querySelector("main.display");
  if (display) {
    var chimeOn = false, audio = null, seen = {};
    var chimeButton = display.querySelector("[data-chime]");
    chimeButton.addEventListener("click", function () {
      chimeOn = !chimeOn;
      chimeButton.setAttribute("aria-pressed", chimeOn ? "true" : "false");
      chimeButton.textContent = words(display, chimeOn ? "chimeOn" : "chimeOff");
      if (chimeOn && !audio && window.AudioContext) audio = new AudioContext();
    });
    var chime = function () {
      if (!chimeOn || !audio) return;
      [659, 523].forEach(function (hz, i) {  // two tones, high then low
        var osc = audio.createOscillator(), gain = audio.createGain(), t = audio.currentTime + i * 0.45;
        osc.frequency.value = hz; osc.connect(gain); gain.connect(audio.destination);
        gain.gain.setValueAtTime(0.3, t); gain.gain.exponentialRampToValueAtTime(0.001, t + 0.9);
        osc.start(t); osc.stop(t + 0.9);
      });
    };
    var first = true;
    var render = function (board) {
      var body = display.querySelector("#calls tbody");
      body.textContent = "";
      var fresh = [];
      board.calls.forEach(function (call, i) {
        var key = call.ticket + "@" + call.called_at;
        if (!seen[key] && call.status === "called") fresh.push(call);
        seen[key] = true;
        var row = document.createElement("tr");
        row.className = "call" + (i === 0 ? " newest" : "");
        row.dataset.ticket = call.ticket;
        var number = document.createElement("td"); number.className = "number";
        if (i === 0) { var mark = document.createElement("span"); mark.className = "mark"; mark.setAttribute("aria-hidden", "true"); mark.textContent = "▶"; number.appendChild(mark); }
        number.appendChild(document.createTextNode(call.ticket));
        var win = document.createElement("td"); win.className = "window"; win.textContent = words(display, "window", { n: call.window });
        var st = document.createElement("td"); st.className = "state";
        st.textContent = words(display, call.status) + (call.status === "called" && call.calls > 1 ? words(display, "recall") : "");
        row.append(number, win, st);
        body.appendChild(row);
      });
      if (!board.calls.length) {
        var empty = document.createElement("tr"), cell = document.createElement("td");
        cell.colSpan = 3; cell.textContent = words(display, "none"); empty.appendChild(cell); body.appendChild(empty);
      }
      board.groups.forEach(function (g) {
        var item = display.querySelector('#groups li[data-group="' + g.code + '"]');
        if (!item) return;
        item.querySelector(".gwaiting").textContent = words(display, "people", { n: g.waiting });
        item.querySelector(".gwait").textContent = g.estimated_wait_minutes === null ? words(display, "closed")
          : g.estimated_wait_minutes === 0 ? words(display, "soon") : words(display, "minutes", { n: g.estimated_wait_minutes });
      });
      if (!first && fresh.length) {
        display.querySelector("#announce").textContent = fresh.map(function (c) {
          return words(display, "announce", { ticket: c.ticket, window: c.window });
        }).join(" ");
        chime();
      }
      first = false;
    };
    var connection = display.querySelector("#connection");
    follow(display.dataset.eventsUrl, display.dataset.boardUrl, render, function (ok) {
      connection.textContent = words(display, ok ? "live" : "lost");
    });
  }

  // --- the clerk's page: say when the line has changed since the page was drawn --------------
  var live = document.getElementById("live-waiting");
  if (live) {
    follow(live.dataset.eventsUrl, live.dataset.boardUrl, function (board) {
      var now = board.groups[0].waiting;
      live.textContent = String(now) === live.dataset.shown ? ""
        : words(live, "changed", { n: now });
    }, function () {});
  }

  // --- the phone status page: its own stream of the ticket's state (the status.json object) ---
  var state = document.getElementById("ticket-state");
  if (state) {
    var token = state.dataset.token;
    var show = function (s) {
      if (s.token && token && s.token !== token) {  // sent on to another window: follow the new number
        window.location.href = window.location.pathname.replace(token, s.token) + window.location.search;
        return;
      }
      ["status_text", "ahead_text", "estimate_text"].forEach(function (name) {
        var el = state.querySelector('[data-field="' + name + '"]');
        if (el && el.textContent !== s[name]) el.textContent = s[name];
      });
      state.className = "panel state-" + s.status;
      state.dataset.status = s.status;
    };
    follow(state.dataset.eventsUrl, state.dataset.statusUrl, show, function () {}, "ticket");
  }
})();
