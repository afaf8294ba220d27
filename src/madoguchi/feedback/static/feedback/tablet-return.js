// On the counter tablet the survey gives the screen back to the desk by itself: soon after the
// thanks, or when nobody has touched the question for a while (a tap or a key starts the wait
// again, so a visitor still writing is never cut off). Without JavaScript the page's <noscript>
// meta refresh does it after the same time.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("[data-return-to]");
  if (!box) return;
  const url = box.dataset.returnTo;
  const seconds = Number(box.dataset.returnAfter) || 180;
  let timer;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => window.location.replace(url), seconds * 1000);
  };
  for (const name of ["pointerdown", "keydown", "input"]) {
    document.addEventListener(name, arm, { passive: true });
  }
  arm();
});
