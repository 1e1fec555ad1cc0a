// Keepsafe's page script: starts GOV.UK Frontend's components and hides the page after a
// while without use or when Escape is pressed (rule S3), so a screen left open shows no record.
import { initAll } from "./govuk-frontend.min.js";

initAll();

// Each category's sub-categories show under it once it is chosen. GOV.UK Frontend's own
// conditional reveal marks radios aria-expanded, which the radio role does not allow.
const categories = document.querySelectorAll('input[type="radio"][name="category"]');
function revealSubcategories() {
  for (const radio of categories) {
    const panel = document.getElementById("conditional-" + radio.value);
    if (panel) panel.classList.toggle("govuk-radios__conditional--hidden", !radio.checked);
  }
}
for (const radio of categories) radio.addEventListener("change", revealSubcategories);
revealSubcategories();

const body = document.body;
const idleMs = Number(body.dataset.idleMs) || 5 * 60 * 1000;
const showButton = document.getElementById("screen-show");
const noticeHeading = document.getElementById("screen-notice-heading");
let timer;

function hide() {
  if (body.classList.contains("app-screen-hidden")) return;
  body.classList.add("app-screen-hidden");
  document.title = "Hidden – Keepsafe";
  if (noticeHeading) noticeHeading.focus();
}

const title = document.title;

function show() {
  body.classList.remove("app-screen-hidden");
  document.title = title;
  restart();
}

function restart() {
  clearTimeout(timer);
  timer = setTimeout(hide, idleMs);
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    hide();
    return;
  }
  if (!body.classList.contains("app-screen-hidden")) restart();
});
for (const type of ["pointerdown", "pointermove", "wheel", "touchstart", "input", "scroll"]) {
  document.addEventListener(type, () => {
    if (!body.classList.contains("app-screen-hidden")) restart();
  }, { passive: true, capture: true });
}
if (showButton) showButton.addEventListener("click", show);
restart();
