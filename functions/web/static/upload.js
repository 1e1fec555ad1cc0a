// Attachments (rule C6): the file goes from the browser straight to the school's private
// bucket. The page asks its own site for an upload URL (the server checks who may attach, the
// type and the size, and keeps a pending record), then sends the file there with a PUT, which
// an HTML form cannot do. Without this script the page says uploading needs JavaScript.
const form = document.getElementById("upload-form");

// Types by file name, for browsers that report none (HEIC often has none off Apple devices).
const byExtension = { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", heic: "image/heic", heif: "image/heic", pdf: "application/pdf" };

if (form) {
  const input = document.getElementById("attachment-file");
  const group = document.getElementById("attachment-file-group");
  const error = document.getElementById("attachment-file-error");
  const status = document.getElementById("upload-status");
  const button = document.getElementById("upload-button");
  const maxBytes = Number(form.dataset.maxBytes);
  let attempt = 0;

  document.getElementById("upload-nojs").hidden = true;
  form.hidden = false;

  const fail = (message) => {
    error.querySelector(".app-message").textContent = message;
    error.classList.remove("govuk-!-display-none");
    group.classList.add("govuk-form-group--error");
    input.classList.add("govuk-file-upload--error");
    input.setAttribute("aria-describedby", "attachment-file-hint attachment-file-error");
    status.textContent = "";
    button.disabled = false;
    input.focus();
  };

  // Each file chosen is its own request; sending the same one twice uploads it once.
  input.addEventListener("change", () => { attempt += 1; });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.classList.add("govuk-!-display-none");
    group.classList.remove("govuk-form-group--error");
    input.classList.remove("govuk-file-upload--error");
    const file = input.files[0];
    if (!file) return fail("Select a photo, scan or PDF");
    if (file.size > maxBytes) return fail("The selected file must be " + Math.floor(maxBytes / 1048576) + " MB or smaller");
    const extension = (file.name.includes(".") ? file.name.split(".").pop() : "").toLowerCase();
    const type = file.type || byExtension[extension] || "application/octet-stream";
    button.disabled = true;
    status.textContent = "Uploading " + file.name + "…";
    let answer;
    try {
      const asked = await fetch(form.action, {
        method: "POST", credentials: "same-origin", headers: { Accept: "application/json" },
        body: new URLSearchParams({
          csrf: form.elements.csrf.value, key: form.elements.key.value + "-" + attempt,
          "file-name": file.name, "content-type": type, size: String(file.size),
        }),
      });
      answer = await asked.json();
      if (!asked.ok) return fail(answer.message || "The file could not be uploaded. Reload the page and try again.");
      const sent = await fetch(answer.uploadUrl, { method: "PUT", headers: { "Content-Type": answer.contentType }, body: file });
      if (!sent.ok) return fail("The file store refused the file. Reload the page and try again.");
    } catch {
      return fail("The file could not be uploaded. Check the connection and try again.");
    }
    location.assign(answer.next);
  });
}
