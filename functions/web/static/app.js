// Keepsafe's page script: starts GOV.UK Frontend's components and hides the page after a
// while without use, or when Hide or Escape is pressed (rule S3), so a screen left open shows
// no record. While the page is in use it tells the server now and then (GET /session), so
// that typing a long record does not count as idle; showing a hidden page asks the server
// first, and a session that ended in the meantime leads to signing in again.
import { initAll } from "./govuk-frontend.min.js";

// Nothing typed comes back once it is sent (rules P3, P4). Pages are no-store and the forms
// have autocomplete="off", yet Back can still show a page as it was left: Chromium keeps even
// no-store pages in its back-forward cache, typed text and all. Such a page is emptied at once
// and fetched again, with a fresh idempotency key. A page the history loads again, or a reload,
// gets its forms reset to what the server sent, in case a browser refilled them. This runs
// before the components' own pageshow handlers, so they see the forms as reset.
function resetForms() {
  for (const form of document.forms) form.reset();
}
window.addEventListener("pageshow", (event) => {
  if (event.persisted) {
    resetForms();
    location.reload();
    return;
  }
  const navigation = performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : undefined;
  if (navigation && (navigation.type === "back_forward" || navigation.type === "reload")) {
    resetForms();
    revealSubcategories();
  }
});

initAll();

// The menu's groups: opening one closes the others, so one list hangs below the menu at a time.
for (const group of document.querySelectorAll(".app-nav-group__details")) {
  group.addEventListener("toggle", () => {
    if (!group.open) return;
    for (const other of document.querySelectorAll(".app-nav-group__details[open]")) {
      if (other !== group) other.open = false;
    }
  });
}

// A radio's panel shows under it once it is chosen (its id is prefix + the radio's value): each
// category's sub-categories; the time of "earlier today" and the date of "another day". GOV.UK
// Frontend's own conditional reveal marks radios aria-expanded, which the radio role does not
// allow.
function revealOnChoice(name, prefix) {
  const radios = document.querySelectorAll(`input[type="radio"][name="${name}"]`);
  const reveal = () => {
    for (const radio of radios) {
      const panel = document.getElementById(prefix + radio.value);
      if (panel) panel.classList.toggle("govuk-radios__conditional--hidden", !radio.checked);
    }
  };
  for (const radio of radios) radio.addEventListener("change", reveal);
  reveal();
}
revealOnChoice("category", "conditional-");
revealOnChoice("observed-when", "observed-");

// The body map (rule C1): a tap on the front or back outline adds a numbered mark, with a
// note field and hidden inputs holding its side and place (fractions 0 to 1 of the outline's
// box). Without this script the section says the body map needs JavaScript.
const marksList = document.getElementById("body-marks");
const markTemplate = document.getElementById("body-mark-template");
const SVG = "http://www.w3.org/2000/svg";

function drawMarks() {
  for (const g of document.querySelectorAll("#body-map-outlines .app-marks")) g.replaceChildren();
  marksList.querySelectorAll("li.app-body-mark").forEach((li, i) => {
    const side = li.querySelector('input[name="mark-side"]').value;
    const x = Number(li.querySelector('input[name="mark-x"]').value);
    const y = Number(li.querySelector('input[name="mark-y"]').value);
    li.querySelector(".app-mark-number").textContent = String(i + 1);
    li.querySelector(".app-mark-side").textContent = side;
    const note = li.querySelector('input[name="mark-note"]');
    note.id = "mark-note-" + i;
    li.querySelector("label").htmlFor = note.id;
    li.querySelector("[data-remove-mark]").textContent = "Remove mark " + (i + 1);
    const g = document.querySelector("#body-map-" + side + " .app-marks");
    if (!g || !(x >= 0 && x <= 1 && y >= 0 && y <= 1)) return;
    const dot = document.createElementNS(SVG, "circle");
    dot.setAttribute("cx", String(x * 100));
    dot.setAttribute("cy", String(y * 220));
    dot.setAttribute("r", "6");
    dot.setAttribute("fill", "#d4351c");
    const label = document.createElementNS(SVG, "text");
    label.setAttribute("x", String(x * 100));
    label.setAttribute("y", String(y * 220 + 3.5));
    label.setAttribute("text-anchor", "middle");
    label.setAttribute("font-size", "9");
    label.setAttribute("fill", "#ffffff");
    label.textContent = String(i + 1);
    g.append(dot, label);
  });
}

if (marksList && markTemplate) {
  document.getElementById("body-map-nojs").hidden = true;
  document.getElementById("body-map-outlines").hidden = false;
  for (const svg of document.querySelectorAll("#body-map-outlines svg")) {
    svg.addEventListener("click", (event) => {
      if (marksList.children.length >= 30) return;
      const box = svg.getBoundingClientRect();
      const x = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
      const y = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
      const li = markTemplate.content.firstElementChild.cloneNode(true);
      li.querySelector('input[name="mark-side"]').value = svg.dataset.side;
      li.querySelector('input[name="mark-x"]').value = x.toFixed(4);
      li.querySelector('input[name="mark-y"]').value = y.toFixed(4);
      marksList.append(li);
      drawMarks();
      li.querySelector('input[name="mark-note"]').focus();
    });
  }
  marksList.addEventListener("click", (event) => {
    const button = event.target.closest("[data-remove-mark]");
    if (!button) return;
    button.closest("li").remove();
    drawMarks();
  });
  drawMarks();
}

// A long list of people to tick (the staff to tell on the concern form) gets a box that
// narrows it to the names holding what is typed; those ticked always stay in view. Without this
// script the box stays hidden and the whole list shows.
for (const input of document.querySelectorAll("input[data-filter-list]")) {
  const list = document.getElementById(input.dataset.filterList);
  const group = input.closest(".app-filter");
  if (!list || !group) continue;
  group.hidden = false;
  input.addEventListener("input", () => {
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const item of list.querySelectorAll(".govuk-checkboxes__item")) {
      const box = item.querySelector("input");
      const name = item.textContent.toLowerCase();
      item.hidden = !(box && box.checked) && !words.every((w) => name.includes(w));
    }
  });
  // Enter in the box narrows the list; it does not send the form.
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault();
  });
}

const body = document.body;
const idleMs = Number(body.dataset.idleMs) || 5 * 60 * 1000;
const showButton = document.getElementById("screen-show");
const hideButton = document.getElementById("screen-hide");
const keepAliveMs = 60 * 1000;
let lastKeptAlive = Date.now();
const noticeHeading = document.getElementById("screen-notice-heading");
let timer;

function hide() {
  if (body.classList.contains("app-screen-hidden")) return;
  body.classList.add("app-screen-hidden");
  document.title = "Hidden – Keepsafe";
  if (noticeHeading) noticeHeading.focus();
}

const title = document.title;

// sessionOpen asks the server whether the session is still open, which also keeps it so.
async function sessionOpen() {
  lastKeptAlive = Date.now();
  try {
    const response = await fetch("/session", { credentials: "same-origin", redirect: "manual", cache: "no-store" });
    return response.status === 204;
  } catch {
    return true; // offline: the next request to the server decides
  }
}

async function show() {
  if (body.dataset.signedIn === "yes" && !(await sessionOpen())) {
    window.location.assign("/sign-in?return=" + encodeURIComponent(window.location.pathname));
    return;
  }
  body.classList.remove("app-screen-hidden");
  document.title = title;
  restart();
}

function restart() {
  clearTimeout(timer);
  timer = setTimeout(hide, idleMs);
  if (Date.now() - lastKeptAlive > keepAliveMs && body.dataset.signedIn === "yes") sessionOpen();
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
if (hideButton) hideButton.addEventListener("click", hide);
restart();
