// The import page (rule P1): sends the MIS export with a progress bar of the rows sent so
// far, since a school's file can take a while on a slow line. The page that comes back (what
// the file would change, or the form with its problems) takes the place of the main content.
// A file over 4 MB goes straight to the bucket with a signed upload, and the page follows its
// check until it ends; importing it sends the same file again. Without this script the form
// posts as usual, with no progress bar, for files up to 4 MB.

// rowEnds are the byte offsets at which each of a CSV file's rows after the header ends: a
// line break outside quotes ends a row (a quoted field may hold one).
function rowEnds(bytes) {
  const ends = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x22) quoted = !quoted;
    else if (bytes[i] === 0x0a && !quoted) {
      if (i - start > 1) ends.push(i + 1);
      start = i + 1;
    }
  }
  if (bytes.length - start > 0) ends.push(bytes.length);
  return ends.slice(1);
}

const count = new Intl.NumberFormat("en-GB");

// progressBar drives a progress element and its label: the rows sent of the file's (ends),
// then "Checking N rows" while the server reads them.
function progressBar(prefix, ends) {
  const box = document.getElementById(prefix + "-progress");
  const bar = document.getElementById(prefix + "-progress-bar");
  const label = document.getElementById(prefix + "-progress-label");
  return {
    show(sent, total) {
      box.hidden = false;
      const percent = total > 0 ? Math.floor((sent / total) * 100) : 0;
      bar.value = percent;
      bar.textContent = percent + "%";
      // The file may go inside a form, a little larger than it: its rows are counted in proportion.
      const at = total > 0 ? (sent / total) * (ends.at(-1) || 0) : 0;
      const rows = ends.findIndex((end) => end > at);
      const done = rows < 0 ? ends.length : rows;
      label.textContent = ends.length > 0
        ? "Sending the file: " + count.format(done) + " of " + count.format(ends.length) + " rows, " + percent + "%"
        : "Sending the file: " + percent + "%";
    },
    checking() {
      bar.removeAttribute("value"); // the server reads the rows: how long it takes is not known
      label.textContent = "Checking " + count.format(ends.length) + (ends.length === 1 ? " row" : " rows");
    },
  };
}

// send makes a request with upload progress (onSent once the body is sent), answering the
// finished request.
function send(method, url, body, headers, onProgress, onSent = () => {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded, e.total); };
    xhr.upload.onload = onSent;
    xhr.onload = () => resolve(xhr);
    xhr.onerror = () => reject(new Error("network"));
    xhr.send(body);
  });
}

// showPage puts a page's main content in place of this one's; false when it is not a page.
function showPage(text, contentType) {
  const page = new DOMParser().parseFromString(text, "text/html");
  const main = page.getElementById("main-content");
  if (!main || !contentType?.startsWith("text/html")) return false;
  document.title = page.title;
  document.getElementById("main-content").replaceWith(document.adoptNode(main));
  window.scrollTo(0, 0);
  const focus = document.querySelector("#main-content .govuk-error-summary, #main-content .govuk-panel, #main-content h1");
  if (focus) {
    focus.setAttribute("tabindex", "-1");
    focus.focus();
  }
  return true;
}

// follow reads the page of an import sent through the bucket until it is no longer being read,
// then shows it.
async function follow(next, file) {
  for (;;) {
    const answer = await fetch(next, { credentials: "same-origin" });
    const text = await answer.text();
    if (!text.includes('id="import-running"')) {
      if (!showPage(text, answer.headers.get("Content-Type"))) location.assign(next);
      wire(file);
      return;
    }
    await new Promise((done) => setTimeout(done, 1000));
  }
}

// throughBucket asks the page's site where to send the file, sends it there, and follows
// its import. fail says what went wrong.
async function throughBucket(action, fields, file, bar, fail) {
  try {
    const asked = await fetch(action, {
      method: "POST", credentials: "same-origin", headers: { Accept: "application/json" },
      body: new URLSearchParams({ ...fields, size: String(file.size) }),
    });
    const answer = await asked.json();
    if (!asked.ok) return fail(answer.message || "The file could not be sent. Reload the page and try again.");
    bar.show(0, 1);
    const sent = await send("PUT", answer.uploadUrl, file, { "Content-Type": "text/csv" }, bar.show);
    if (sent.status !== 200) return fail("The file store refused the file. Reload the page and try again.");
    bar.checking();
    await follow(answer.next, file);
  } catch {
    fail("The file could not be sent. Check the connection and try again.");
  }
}

// wire enhances whichever form the page now has: the file's form, or the form that imports
// a file sent through the bucket (which needs the file, held by this page since its check).
function wire(file) {
  const form = document.getElementById("import-form");
  if (form) enhance(form);
  const apply = document.querySelector("#apply-form[data-upload]");
  if (!apply) return;
  const button = document.getElementById("apply-button");
  const note = document.getElementById("apply-resend");
  if (!file || !button) {
    note.textContent = "This page no longer has the file: choose it and check it again to import it.";
    return;
  }
  note.textContent = "Importing sends the file again from this device: keep this page open until it says the pupils are imported.";
  button.hidden = false;
  apply.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    const ends = rowEnds(new Uint8Array(await file.arrayBuffer()));
    await throughBucket(apply.action, { csrf: apply.elements.csrf.value, checked: apply.elements.checked.value },
      file, progressBar("apply", ends), (message) => {
        note.textContent = message;
        button.disabled = false;
      });
  });
}

function enhance(form) {
  const input = document.getElementById("file");
  const button = document.getElementById("check-button");
  const maxBytes = Number(form.dataset.maxBytes);
  const maxUpload = Number(form.dataset.maxUpload);

  const fail = (message) => {
    const error = document.getElementById("file-error");
    error.querySelector(".app-message").textContent = message;
    error.classList.remove("govuk-!-display-none");
    document.getElementById("file-group").classList.add("govuk-form-group--error");
    input.setAttribute("aria-describedby", "file-hint file-error");
    document.getElementById("upload-progress").hidden = true;
    button.disabled = false;
    input.focus();
  };

  form.addEventListener("submit", async (event) => {
    const file = input.files[0];
    // No file: the server says so.
    if (!file) return;
    event.preventDefault();
    if (file.size > maxUpload) return fail("The file must be " + Math.floor(maxUpload / 1048576) + " MB or smaller");
    button.disabled = true;
    const bar = progressBar("upload", rowEnds(new Uint8Array(await file.arrayBuffer())));
    if (file.size > maxBytes) {
      const full = form.elements.full.checked ? { full: "yes" } : {};
      return throughBucket(form.dataset.uploads, { csrf: form.elements.csrf.value, ...full }, file, bar, fail);
    }
    bar.show(0, 1);
    try {
      const xhr = await send("POST", form.action, new FormData(form), {}, bar.show, bar.checking);
      if (!showPage(xhr.responseText, xhr.getResponseHeader("Content-Type"))) return form.submit();
      // The form again with its problems, or the preview: a script that came with it does not run.
      wire(file);
    } catch {
      // A network failure, or a sign-in that took the request elsewhere: the plain form post.
      form.submit();
    }
  });
}

if (window.XMLHttpRequest && window.FormData && window.DOMParser) wire(undefined);
