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

// The body map (rule C1): a tap on the front or back figure adds a numbered mark there, with
// a note field and hidden inputs holding its side and place (fractions 0 to 1 of the figure's
// box). From a keyboard: Tab to a figure, move its cross with the arrow keys (Shift for
// bigger steps), Enter or Space adds a mark at the cross; the focus goes to the new mark's
// note, and a status line tells a screen reader where the cross is and what was added or
// removed. Without this script the section says the body map needs JavaScript.
const marksList = document.getElementById("body-marks");
const markTemplate = document.getElementById("body-mark-template");
const mapStatus = document.getElementById("body-map-status");
const SVG = "http://www.w3.org/2000/svg";
const MAX_MARKS = 30;

// bodyPart names the part of the 100 by 220 outline at ux, uy, in the same words as the
// concern's page (bodymap.go): on the front the child's right is on the viewer's left.
function bodyPart(side, ux, uy) {
  const childSide = (viewerLeft) => (viewerLeft === (side !== "back") ? "the child's right" : "the child's left");
  if (uy < 32) return "head";
  if (uy < 40) return "neck";
  if (uy < 112 && (ux < 31 || ux > 69)) return childSide(ux < 50) + " arm";
  if (uy < 112) {
    if (ux < 45) return "body, " + childSide(true) + " side";
    if (ux > 55) return "body, " + childSide(false) + " side";
    return "body, middle";
  }
  if (uy >= 200) return childSide(ux < 50) + " foot";
  return childSide(ux < 50) + " leg";
}

function bodyPlace(side, x, y) {
  return (side === "back" ? "Back" : "Front") + ", " + bodyPart(side, x * 100, y * 220);
}

function say(message) {
  if (!mapStatus) return;
  // A new text each time, so that the same words said twice are read twice.
  mapStatus.textContent = "";
  window.setTimeout(() => { mapStatus.textContent = message; }, 50);
}

function drawMarks() {
  for (const g of document.querySelectorAll("#body-map-outlines .app-marks")) g.replaceChildren();
  marksList.querySelectorAll("li.app-body-mark").forEach((li, i) => {
    const side = li.querySelector('input[name="mark-side"]').value;
    const x = Number(li.querySelector('input[name="mark-x"]').value);
    const y = Number(li.querySelector('input[name="mark-y"]').value);
    const placed = x >= 0 && x <= 1 && y >= 0 && y <= 1;
    for (const n of li.querySelectorAll(".app-mark-number")) n.textContent = String(i + 1);
    li.querySelector(".app-mark-place").textContent = placed ? bodyPlace(side, x, y) : (side === "back" ? "Back" : "Front");
    const note = li.querySelector('input[name="mark-note"]');
    note.id = "mark-note-" + i;
    li.querySelector("label").htmlFor = note.id;
    const g = document.querySelector("#body-map-" + side + " .app-marks");
    if (!g || !placed) return;
    const dot = document.createElementNS(SVG, "circle");
    dot.setAttribute("class", "app-mark");
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

// addMark adds a mark at x, y of side's figure and takes the focus to its note.
function addMark(side, x, y) {
  if (marksList.children.length >= MAX_MARKS) {
    say("The body map has " + MAX_MARKS + " marks, the most it takes. Describe any more in what happened.");
    return;
  }
  const li = markTemplate.content.firstElementChild.cloneNode(true);
  li.querySelector('input[name="mark-side"]').value = side;
  li.querySelector('input[name="mark-x"]').value = x.toFixed(4);
  li.querySelector('input[name="mark-y"]').value = y.toFixed(4);
  marksList.append(li);
  drawMarks();
  li.querySelector('input[name="mark-note"]').focus();
  say("Mark " + marksList.children.length + " added: " + bodyPlace(side, x, y) + ". Type what you saw there.");
}

if (marksList && markTemplate) {
  document.getElementById("body-map-nojs").hidden = true;
  document.getElementById("body-map-outlines").hidden = false;
  for (const svg of document.querySelectorAll("#body-map-outlines svg[data-side]")) {
    const side = svg.dataset.side;
    const cross = svg.querySelector(".app-crosshair");
    // The cross starts in the middle of the body.
    let cx = 0.5;
    let cy = 0.4;
    const moveCross = () => cross.setAttribute("transform", `translate(${(cx * 100).toFixed(1)} ${(cy * 220).toFixed(1)})`);
    moveCross();
    svg.addEventListener("click", (event) => {
      const box = svg.getBoundingClientRect();
      cx = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
      cy = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
      moveCross();
      addMark(side, cx, cy);
    });
    svg.addEventListener("focus", () => say(bodyPlace(side, cx, cy) + ". Arrow keys move the cross; Enter adds a mark."));
    svg.addEventListener("keydown", (event) => {
      const step = event.shiftKey ? 0.1 : 0.02;
      const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      if (moves[event.key]) {
        event.preventDefault();
        const before = bodyPlace(side, cx, cy);
        cx = Math.min(1, Math.max(0, cx + moves[event.key][0]));
        cy = Math.min(1, Math.max(0, cy + moves[event.key][1] * (100 / 220)));
        moveCross();
        const now = bodyPlace(side, cx, cy);
        if (now !== before) say(now);
      } else if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        addMark(side, cx, cy);
      }
    });
  }
  marksList.addEventListener("click", (event) => {
    const button = event.target.closest("[data-remove-mark]");
    if (!button) return;
    const li = button.closest("li");
    const n = Array.prototype.indexOf.call(marksList.children, li) + 1;
    const side = li.querySelector('input[name="mark-side"]').value;
    li.remove();
    drawMarks();
    const figure = document.getElementById("body-map-" + side);
    if (figure) figure.focus();
    say("Mark " + n + " removed." + (marksList.children.length > 0 ? " The marks after it are numbered again." : ""));
  });
  drawMarks();
}

// The pupil search as one types (rule C1): a moment after each key the form's search box is
// sent (posted, so no name goes in an address) and the pupils found replace the results in
// place, without loading the page again; the status line says how many were found. A pupil
// ticked among the results moves up to the chosen pupils, so a later search keeps them. The
// Search button (and Enter in the box) searches the same way. Without this script the Search
// button posts the whole form and the page comes back at the pupils.
const searchBox = document.querySelector("input[data-lookup]");
const resultsArea = document.getElementById("pupil-results-area");
const chosenPupils = document.getElementById("chosen-pupils");
const searchStatus = document.getElementById("pupil-search-status");
if (searchBox && resultsArea && chosenPupils && searchStatus) {
  const form = searchBox.form;
  let timer;
  let asked = 0;
  const lookup = async () => {
    clearTimeout(timer);
    const mine = ++asked;
    const body = new URLSearchParams();
    body.set("csrf", form.elements.csrf.value);
    body.set("q", searchBox.value);
    for (const box of chosenPupils.querySelectorAll('input[name="pupil"]')) body.append("pupil", box.value);
    let html;
    try {
      const response = await fetch(searchBox.dataset.lookup, {
        method: "POST", body, credentials: "same-origin", redirect: "manual", cache: "no-store",
      });
      if (response.status !== 200 && response.status !== 400) throw new Error("status " + response.status);
      html = await response.text();
    } catch {
      if (mine === asked) searchStatus.textContent = "The search did not work. Press Search to try again.";
      return;
    }
    if (mine !== asked) return; // a later search has been sent: its answer counts
    resultsArea.innerHTML = html;
    const results = document.getElementById("pupil-results");
    // A count when pupils were searched for; none when the search was refused, whose reason shows.
    const count = results && results.dataset.count !== undefined ? Number(results.dataset.count) : -1;
    if (searchBox.value.trim() === "") searchStatus.textContent = "";
    else if (count < 0) searchStatus.textContent = results ? results.textContent.trim() : "";
    else if (count === 0) searchStatus.textContent = "No pupil found.";
    else searchStatus.textContent = count === 1 ? "1 pupil found: tick to add." : count + " pupils found: tick to add.";
  };
  searchBox.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(lookup, 300);
  });
  const button = document.getElementById("search-pupils");
  if (button) {
    button.addEventListener("click", (event) => {
      event.preventDefault();
      lookup();
    });
  }
  resultsArea.addEventListener("change", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLInputElement) || box.name !== "pupil" || !box.checked) return;
    const item = box.closest(".govuk-checkboxes__item");
    chosenPupils.hidden = false;
    chosenPupils.append(item);
    box.focus();
    const name = item.querySelector("label").textContent.trim();
    searchStatus.textContent = name + " added to the concern.";
  });
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
