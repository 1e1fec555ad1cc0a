// The import page (rule P1): sends the MIS export with a progress bar, since a school's file
// can take a while on a slow line. The page that comes back (what the file would change, or
// the form with its problems) takes the place of the main content. Without this script the
// form posts as usual, with no progress bar.
function enhance(form) {
  const input = document.getElementById("file");
  const progress = document.getElementById("upload-progress");
  const bar = document.getElementById("upload-progress-bar");
  const label = document.getElementById("upload-progress-label");
  const button = document.getElementById("check-button");
  const maxBytes = Number(form.dataset.maxBytes);

  const show = (percent) => {
    bar.value = percent;
    bar.textContent = percent + "%";
    label.textContent = "Sending the file: " + percent + "%";
  };

  form.addEventListener("submit", (event) => {
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
    show(0);
    progress.hidden = false;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) show(Math.floor((e.loaded / e.total) * 100));
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
