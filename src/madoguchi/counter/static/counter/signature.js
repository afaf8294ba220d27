// The counter tablet's signature pad: draws with a finger or a pen and sends the PNG.
// Without JavaScript the pad stays hidden and the page asks for the printed summary instead.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-signature]");
  if (!form) return;
  const canvas = form.querySelector("canvas");
  const field = form.querySelector("input[name=signature]");
  const ctx = canvas.getContext("2d");
  let drawing = false;
  let drawn = false;
  canvas.hidden = false;
  form.querySelector("[data-paper]").hidden = true;
  form.querySelectorAll("[data-clear], [data-submit]").forEach((b) => { b.hidden = false; });
  ctx.lineWidth = 4;
  ctx.lineCap = "round";
  const point = (e) => {
    const r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
  };
  canvas.addEventListener("pointerdown", (e) => { drawing = true; ctx.beginPath(); ctx.moveTo(...point(e)); });
  canvas.addEventListener("pointermove", (e) => { if (drawing) { ctx.lineTo(...point(e)); ctx.stroke(); drawn = true; } });
  window.addEventListener("pointerup", () => { drawing = false; });
  form.querySelector("[data-clear]").addEventListener("click", () => {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    drawn = false;
  });
  form.addEventListener("submit", (e) => {
    if (!drawn) { e.preventDefault(); return; }
    field.value = canvas.toDataURL("image/png");
  });
});
