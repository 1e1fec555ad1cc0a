// The import page (rule P1): sends the MIS export with a progress bar of the rows sent so
// far, since a school's file can take a while on a slow line. The page that comes back (what
// the file would change, or the form with its problems) takes the place of the main content.
// Without this script the form posts as usual, with no progress bar.

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

function enhance(form) {
  const input = document.getElementById("file");
  const progress = document.getElementById("upload-progress");
  const bar = document.getElementById("upload-progress-bar");
  const label = document.getElementById("upload-progress-label");
  const button = document.getElementById("check-button");
  const maxBytes = Number(form.dataset.maxBytes);

  // show says how much of the file is sent: its rows, when they are known, and the share.
  let ends = [];
  const show = (sent, total) => {
    const percent = total > 0 ? Math.floor((sent / total) * 100) : 0;
    bar.value = percent;
    bar.textContent = percent + "%";
    // The file goes inside a form, a little larger than it: its rows are counted in proportion.
    const at = total > 0 ? (sent / total) * (ends.at(-1) || 0) : 0;
    const rows = ends.findIndex((end) => end > at);
    const done = rows < 0 ? ends.length : rows;
    label.textContent = ends.length > 0
      ? "Sending the file: " + count.format(done) + " of " + count.format(ends.length) + " rows, " + percent + "%"
      : "Sending the file: " + percent + "%";
  };

  form.addEventListener("submit", async (event) => {
    const file = input.files[0];
    // No file: the server says so. The server checks the size too, but a file far over it
    // would be refused before reaching it, so it is not sent at all.
    if (!file) return;
    event.preventDefault();
    if (file.size > maxBytes) {
      const error = document.getElementById("file-error");
      error.querySelector(".app-message").textContent = "The file must be 4 MB or smaller";
      error.classList.remove("govuk-!-display-none");
      document.getElementById("file-group").classList.add("govuk-form-group--error");
      input.setAttribute("aria-describedby", "file-hint file-error");
      input.focus();
      return;
    }
    button.disabled = true;
    ends = rowEnds(new Uint8Array(await file.arrayBuffer()));
    show(0, 1);
    progress.hidden = false;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) show(e.loaded, e.total);
    };
    xhr.upload.onload = () => {
      bar.removeAttribute("value"); // the server reads the rows: how long it takes is not known
      label.textContent = "Checking " + count.format(ends.length) + (ends.length === 1 ? " row" : " rows");
    };
    xhr.onload = () => {
      const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      const main = page.getElementById("main-content");
      if (!main || !xhr.getResponseHeader("Content-Type")?.startsWith("text/html")) {
        form.submit();
        return;
      }
      document.title = page.title;
      document.getElementById("main-content").replaceWith(document.adoptNode(main));
      window.scrollTo(0, 0);
      const focus = document.querySelector("#main-content .govuk-error-summary, #main-content h1");
      if (focus) {
        focus.setAttribute("tabindex", "-1");
        focus.focus();
      }
      // The form again, with its problems: a script that came with it does not run.
      const again = document.getElementById("import-form");
      if (again) enhance(again);
    };
    // A network failure, or a sign-in that took the request elsewhere: the plain form post.
    xhr.onerror = () => form.submit();
    xhr.send(new FormData(form));
  });
}

const form = document.getElementById("import-form");
if (form && window.XMLHttpRequest && window.FormData && window.DOMParser) enhance(form);
