// vidpipe console: progressive enhancement only (every page works without it).
// - [data-live] regions re-load themselves from their URL while the page is visible (the server leaves the
//   attribute out once nothing there can change any more, which ends the polling).
// - The upload form's drop zone accepts dropped files.
"use strict";

function refresh(region) {
  const interval = Number(region.dataset.interval || 3000);
  window.setTimeout(async () => {
    if (!region.isConnected) return;
    if (document.hidden) { refresh(region); return; }
    try {
      const response = await fetch(region.dataset.live, { headers: { "Accept": "text/html" }, credentials: "same-origin" });
      if (!response.ok) { refresh(region); return; }
      const parsed = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = parsed.getElementById(region.id);
      if (!fresh) { refresh(region); return; }
      const focused = document.activeElement && region.contains(document.activeElement) ? document.activeElement : null;
      const openDetails = Array.from(region.querySelectorAll("details[open] > summary")).map((s) => s.textContent);
      region.replaceWith(fresh);
      for (const summary of fresh.querySelectorAll("details > summary")) {
        if (openDetails.includes(summary.textContent)) summary.parentElement.open = true;
      }
      if (focused && focused.getAttribute("href")) {
        const again = fresh.querySelector(`[href="${CSS.escape(focused.getAttribute("href"))}"]`);
        if (again) again.focus();
      }
      if (fresh.dataset.live) refresh(fresh);
    } catch (error) {
      refresh(region);  // the server may be restarting: try again later
    }
  }, interval);
}

function dropZone() {
  const zone = document.getElementById("drop");
  const input = document.getElementById("files");
  const chosen = document.getElementById("chosen");
  if (!zone || !input || input.disabled) return;
  const show = () => {
    const names = Array.from(input.files).map((f) => f.name);
    if (names.length) chosen.textContent = `${names.length} file(s): ${names.join(", ")}`;
  };
  input.addEventListener("change", show);
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      show();
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  for (const region of document.querySelectorAll("[data-live]")) refresh(region);
  dropZone();
});
