// The paired tablet follows its clerk's desk by itself: every few seconds it asks whether what
// it shows has changed, and reloads when it has. Going to another visit (or back to the waiting
// screen) drops the easy-Japanese (ja-easy) choice, which was the previous visitor's. Without JavaScript
// the page's <noscript> meta refresh does the same, more slowly.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("[data-tablet-poll]");
  if (!box) return;
  const { tabletPoll: url, tabletState: shown, tabletVisit: visit } = box.dataset;
  const again = () => setTimeout(poll, 3000);
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then((r) => (r.ok || r.status === 403 ? r.json() : null))
      .then((data) => {
        if (!data || data.state === shown) { again(); return; }
        const sameVisit = data.visit && data.visit === visit;
        window.location.replace(sameVisit ? window.location.href : window.location.pathname);
      })
      .catch(again);
  }
  again();
});
