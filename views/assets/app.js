// Loaded after htmx and hx-csp, with the page's CSP nonce. No inline script anywhere.

// Every htmx request carries the page's CSRF token; plain forms carry it as a hidden _csrf field.
document.addEventListener("htmx:config:request", (event) => {
  const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content");
  if (token) event.detail.ctx.request.headers["X-CSRF-Token"] = token;
});

// Links shown to be copied (invitations) are rendered as paths: the server never trusts the
// Host header to build URLs, but the browser knows the origin the user is actually on.
function prefixOrigins(root) {
  for (const input of root.querySelectorAll("input[data-prefix-origin]")) {
    input.value = location.origin + input.value;
    input.removeAttribute("data-prefix-origin");
  }
}

// A secret shown once is selected on focus, ready to copy.
document.addEventListener("focusin", (event) => {
  if (event.target instanceof HTMLInputElement && event.target.classList.contains("secret-value"))
    event.target.select();
});

if (document.readyState === "loading")
  document.addEventListener("DOMContentLoaded", () => prefixOrigins(document));
else prefixOrigins(document);

// The server shows due dates and "today" in the browser's time zone (the tz cookie).
try {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const cookie = `tz=${encodeURIComponent(zone)}`;
  if (zone && !document.cookie.split("; ").includes(cookie)) {
    // biome-ignore lint/suspicious/noDocumentCookie: one plain preference cookie; the Cookie Store API is not in every browser
    document.cookie = `${cookie}; path=/; max-age=31536000; samesite=lax`;
  }
} catch {
  // No Intl time zone: the server falls back to UTC.
}

// Kanban: drag a card onto another stage's column. The card knows where it moves
// (data-move-url), the column which stage it is (data-stage-id); htmx posts the move and
// swaps the updated board in. Without drag and drop, each card's "Move to…" menu does it.
let dragged = null;
document.addEventListener("dragstart", (event) => {
  const card = event.target instanceof Element ? event.target.closest("[data-move-url]") : null;
  if (!card) return;
  dragged = card;
  card.classList.add("dragging");
  event.dataTransfer.effectAllowed = "move";
  event.dataTransfer.setData("text/plain", card.id);
});
document.addEventListener("dragend", () => {
  dragged?.classList.remove("dragging");
  dragged = null;
  for (const column of document.querySelectorAll(".drop-target")) column.classList.remove("drop-target");
});
document.addEventListener("dragover", (event) => {
  const column = event.target instanceof Element ? event.target.closest("[data-stage-id]") : null;
  if (!column || !dragged) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = "move";
  for (const other of document.querySelectorAll(".drop-target"))
    if (other !== column) other.classList.remove("drop-target");
  column.classList.add("drop-target");
});
document.addEventListener("drop", (event) => {
  const column = event.target instanceof Element ? event.target.closest("[data-stage-id]") : null;
  if (!column || !dragged) return;
  event.preventDefault();
  const url = dragged.dataset.moveUrl;
  if (column.contains(dragged) || !url) return;
  window.htmx.ajax("POST", url, {
    source: column,
    target: "#board",
    swap: "outerHTML",
    values: { stageId: column.dataset.stageId },
  });
});

// The search box's dropdown closes on Escape and when focus leaves the search form.
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") document.querySelector("#search-dropdown")?.replaceChildren();
});
document.addEventListener("click", (event) => {
  const dropdown = document.querySelector("#search-dropdown");
  if (dropdown && event.target instanceof Element && !event.target.closest(".global-search"))
    dropdown.replaceChildren();
});
