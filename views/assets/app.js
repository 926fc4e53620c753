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

// List rows: one listener for every row's Edit and Delete links (views/components/row-actions.raw.ts),
// so the rows carry no htmx attributes. Edit becomes the row's in-place form where the list has
// one (data-inline-edit); Delete asks, posts, and removes the row. Only a link to a record of
// the list's own kind, in a row of that list, is upgraded; anything else is left to the browser.
document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  const link = event.target instanceof Element ? event.target.closest(".row-actions a[href]") : null;
  const row = link?.closest("tr");
  const rows = row?.parentElement;
  if (!link || !rows?.matches("tbody[data-row-actions]")) return;
  const url = new URL(link.href);
  const action = /^(\/.+)\/\d+\/(edit|delete)$/.exec(url.pathname);
  if (url.origin !== location.origin || !action || action[1] !== rows.dataset.rowActions) return;
  if (action[2] === "edit") {
    if (!("inlineEdit" in rows.dataset)) return;
    event.preventDefault();
    window.htmx.ajax("GET", `${url.pathname}?fragment=row`, { source: link, target: row, swap: "outerHTML" });
  } else {
    event.preventDefault();
    window.htmx.ajax("POST", url.pathname, {
      source: link,
      target: row,
      swap: "delete",
      confirm: `Delete this ${rows.dataset.noun}?`,
    });
  }
});

// A task's tick: its button names the page's one task form and its own completion URL, which a
// browser without JavaScript posts. Here it is posted by htmx and the task swapped in place;
// where focus goes then is the keyboard block's at the end of this file.
document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0) return;
  const button =
    event.target instanceof Element ? event.target.closest('button.check[form="task-toggle"]') : null;
  const task = button?.closest("li.task");
  if (!button || !task?.id) return;
  const url = new URL(button.formAction);
  if (url.origin !== location.origin || !/^\/t\/[^/]+\/tasks\/\d+\/completion$/.test(url.pathname)) return;
  event.preventDefault();
  window.htmx.ajax("POST", url.pathname, {
    source: button,
    target: task,
    swap: "outerHTML",
    values: { completed: button.value },
  });
});

// Kanban: drag a card onto another stage's column. The card's "Move to…" link is the URL its
// move posts to, the column says which stage it is (data-stage-id); htmx posts the move and
// swaps the updated board in. Without drag and drop, the "Move to…" dialog below does it.
let dragged = null;
const moveUrl = (card) => {
  const link = card.querySelector("a.move[href]");
  return link ? new URL(link.href).pathname : null;
};
document.addEventListener("dragstart", (event) => {
  const card = event.target instanceof Element ? event.target.closest(".card[draggable=true]") : null;
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
  const url = moveUrl(dragged);
  if (column.contains(dragged) || !url) return;
  if (column.classList.contains("kind-lost") && askLostReason(dragged, column, url)) return;
  window.htmx.ajax("POST", url, {
    source: column,
    target: "#board",
    swap: "outerHTML",
    values: { stageId: column.dataset.stageId },
  });
});

// The board's "Move to…": every card's link opens the board's one dialog, with the card's title
// and every stage but its own; choosing one posts the move and swaps the board, then puts focus
// back on the moved card's link. Without JavaScript the link opens the deal's move page.
document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  const link = event.target instanceof Element ? event.target.closest("#board .card a.move") : null;
  const card = link?.closest(".card");
  const dialog = document.getElementById("move-dialog");
  const url = card ? moveUrl(card) : null;
  if (!card || !dialog || !url) return;
  event.preventDefault();
  const form = dialog.querySelector("form.move-form");
  form.setAttribute("action", url);
  dialog.dataset.card = card.id;
  dialog.querySelector(".move-deal").textContent =
    `“${card.querySelector(".card-title")?.textContent ?? ""}”`;
  const current = card.closest("[data-stage-id]")?.dataset.stageId;
  for (const button of form.querySelectorAll("button[name=stageId]"))
    button.hidden = button.value === current;
  dialog.showModal();
});
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.matches("#move-dialog form.move-form")) return;
  event.preventDefault();
  const dialog = form.closest("dialog");
  const card = dialog.dataset.card;
  const stageId = event.submitter?.value;
  const reason = form.querySelector("input[name=lostReason]");
  // A Lost stage needs a reason (the server refuses one without): ask here, before sending.
  if (event.submitter?.dataset.kind === "lost" && reason && !reason.value.trim()) {
    reason.setCustomValidity("Say why the deal was lost");
    reason.reportValidity();
    reason.addEventListener("input", () => reason.setCustomValidity(""), { once: true });
    return;
  }
  dialog.close();
  if (!stageId) return;
  const values = { stageId };
  if (event.submitter?.dataset.kind === "lost") values.lostReason = reason.value;
  if (reason) reason.value = "";
  window.htmx
    .ajax("POST", form.getAttribute("action"), {
      source: document.getElementById("board"),
      target: "#board",
      swap: "outerHTML",
      values,
    })
    .then(() => document.querySelector(`#${CSS.escape(card)} a.move`)?.focus());
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

// A form that adds to the page (a task, a note, a logged call, a quick add; marked data-reset,
// with an id) starts empty once what it added is shown, with focus back in its first field,
// ready for the next one. A refused one (its error shown in the flash) keeps what was typed.
// The form is named on the request before it is sent: an answer may replace it (the quick add
// sends it back empty), and htmx then reports the swap on what it swapped into instead.
document.addEventListener("htmx:before:request", (event) => {
  const ctx = event.detail?.ctx;
  const form = ctx?.sourceElement;
  if (ctx && form instanceof HTMLFormElement && form.hasAttribute("data-reset") && form.id)
    ctx.resetFormId = form.id;
});
document.addEventListener("htmx:after:swap", (event) => {
  const ctx = event.detail?.ctx;
  if (!ctx?.resetFormId) return;
  const status = ctx.response?.status ?? 0;
  if (status < 200 || status > 299) return;
  const form = document.getElementById(ctx.resetFormId);
  if (!(form instanceof HTMLFormElement)) return;
  form.reset();
  form.querySelector("input:not([type=hidden]), textarea, select")?.focus();
});

// Issue 11 item 8 (wt-deals): a card dropped on a Lost column asks why in the board's
// #lost-dialog before anything is sent; "Mark lost" posts the move with the reason and puts focus
// on the moved card, Cancel or Escape sends nothing and the card stays in its column.
function askLostReason(card, column, url) {
  const dialog = document.getElementById("lost-dialog");
  const form = dialog?.querySelector("form.lost-form");
  if (!dialog || !form) return false;
  form.setAttribute("action", url);
  form.elements.stageId.value = column.dataset.stageId;
  form.elements.lostReason.value = "";
  dialog.dataset.card = card.id;
  dialog.querySelector(".lost-deal").textContent =
    `“${card.querySelector(".card-title")?.textContent ?? ""}”`;
  dialog.showModal();
  return true;
}
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.matches("#lost-dialog form.lost-form")) return;
  if (event.submitter?.getAttribute("formmethod") === "dialog") return;
  event.preventDefault();
  // A reason of spaces is no reason: say so in the dialog, which stays open with what was typed.
  const reason = form.elements.lostReason;
  if (reason.value.trim() === "") {
    reason.setCustomValidity("Say why the deal was lost.");
    reason.reportValidity();
    reason.addEventListener("input", () => reason.setCustomValidity(""), { once: true });
    return;
  }
  const dialog = form.closest("dialog");
  const card = dialog.dataset.card;
  const values = { stageId: form.elements.stageId.value, lostReason: reason.value };
  dialog.close();
  window.htmx
    .ajax("POST", form.getAttribute("action"), {
      source: document.getElementById("board"),
      target: "#board",
      swap: "outerHTML",
      values,
    })
    .then(() => document.querySelector(`#${CSS.escape(card)} a.move`)?.focus());
});
document.addEventListener(
  "close",
  (event) => {
    const dialog = event.target;
    if (!(dialog instanceof HTMLDialogElement) || dialog.id !== "lost-dialog") return;
    if (dialog.returnValue === "cancel" || dialog.returnValue === "")
      document.querySelector(`#${CSS.escape(dialog.dataset.card ?? "")} a.move`)?.focus();
  },
  true,
);

// A meeting has no direction (only calls and emails do): the activity form's direction menu is
// disabled (so not sent) while Meeting is chosen. Without JavaScript the server drops it.
function syncActivityDirection(form) {
  const kind = form?.querySelector("select[name=kind]");
  const direction = form?.querySelector("select[name=direction]");
  if (!kind || !direction) return;
  direction.disabled = kind.value === "meeting";
  direction.closest(".field")?.classList.toggle("disabled", direction.disabled);
}
document.addEventListener("change", (event) => {
  if (event.target instanceof HTMLSelectElement && event.target.matches("#new-activity select[name=kind]"))
    syncActivityDirection(event.target.form);
});
document.addEventListener("reset", (event) => {
  if (event.target instanceof HTMLFormElement && event.target.id === "new-activity")
    setTimeout(() => syncActivityDirection(event.target));
});

// List toolbar (issue 11, items 5 and 6). One history entry per change: a filter applies as it
// is chosen and pushes its URL; Apply or Enter afterwards asks for the same URL again, and
// pushing it a second time would make Back stay on the same list. So a push of the URL already
// shown is dropped (the answer is still swapped in).
document.addEventListener("htmx:before:history:update", (event) => {
  const update = event.detail?.history;
  if (update?.type === "push" && update.path === location.pathname + location.search) event.preventDefault();
});

// The select-all box in a list's header: shown only here (it needs a script), it ticks or
// clears every row of its table, and follows the rows (ticked, cleared, or some: mixed).
function showSelectAll(root) {
  for (const box of root.querySelectorAll("input.select-all[hidden]")) box.hidden = false;
}
if (document.readyState === "loading")
  document.addEventListener("DOMContentLoaded", () => showSelectAll(document));
else showSelectAll(document);
document.addEventListener("htmx:after:swap", () => showSelectAll(document));
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || box.type !== "checkbox") return;
  const table = box.closest("table.list");
  if (!table) return;
  const rows = [...table.querySelectorAll('tbody input[type="checkbox"][name="ids"]')];
  const all = table.querySelector("thead input.select-all");
  if (box === all) {
    for (const row of rows) row.checked = box.checked;
  } else if (all && box.name === "ids") {
    const ticked = rows.filter((row) => row.checked).length;
    all.checked = ticked > 0 && ticked === rows.length;
    all.indeterminate = ticked > 0 && ticked < rows.length;
  }
});
// Keyboard and screen readers (issue 11, item 7). After an in-page update the element that had
// focus is often gone (swapped out), and focus would fall back to the top of the page. A plan
// is made before each request, while the page still shows what the user acted on, and carried
// out once the answer is swapped in (htmx:finally:request, which htmx sends to the document
// when the request's own element has been swapped out). The board's Move to… puts focus back
// on the moved card itself.
const focusIn = (id, selector) => {
  const target = id ? document.getElementById(id)?.querySelector(selector) : null;
  target?.focus();
  return Boolean(target);
};
const focusContainer = (element) => {
  if (!element?.isConnected) return false;
  if (!element.hasAttribute("tabindex")) element.setAttribute("tabindex", "-1");
  element.focus();
  return true;
};
// Only a request that swaps the task or the row itself has a plan: a field's own request inside
// an edited row (the company name's suggestions) leaves focus alone.
function focusPlan(source, target) {
  // Completing a task moves on to the next open task's tick (the list itself when none is
  // left); opening one again stays on its tick.
  const tick = source.closest('button.check[form="task-toggle"]');
  const task = tick?.closest("li.task");
  if (tick && task?.id && target === task) {
    if (tick.value !== "true") return () => focusIn(task.id, "button.check");
    const tasks = [...document.querySelectorAll("li.task")];
    const next = tasks.slice(tasks.indexOf(task) + 1).find((t) => t.id && !t.classList.contains("done"));
    const list = task.parentElement;
    const nextId = next?.id;
    return () => focusIn(nextId, "button.check") || focusContainer(list) || focusIn(task.id, "button.check");
  }
  const row = source.closest("tbody[data-row-actions] > tr");
  if (!row?.id || target !== row) return null;
  // Deleting a row: the same action on the next row (the previous one after the last), or the
  // list's body when it was the only one.
  if (source.matches(".row-actions a.danger")) {
    const neighbour = row.nextElementSibling?.id ? row.nextElementSibling : row.previousElementSibling;
    const rows = row.parentElement;
    return () => focusIn(neighbour?.id, ".row-actions a.danger") || focusContainer(rows);
  }
  // Inline edit: Edit opens the row's form on its first field; Save (or Cancel) comes back to
  // the row's Edit link, or, when the save was refused, to the first field in error.
  return () => {
    const now = document.getElementById(row.id);
    if (!now) return;
    const field = now.classList.contains("editing")
      ? (now.querySelector('[aria-invalid="true"]') ??
        now.querySelector("input:not([type=hidden]), select, textarea"))
      : (now.querySelector(".row-actions a:not(.danger)") ?? now.querySelector("a[href]"));
    field?.focus();
  };
}
document.addEventListener("htmx:before:request", (event) => {
  const ctx = event.detail?.ctx;
  if (ctx && event.target instanceof Element) ctx.refocus = focusPlan(event.target, ctx.target);
});
document.addEventListener("htmx:finally:request", (event) => {
  const ctx = event.detail?.ctx;
  if (ctx?.refocus && ctx.status === "swapped") ctx.refocus();
});

// The search box is a combobox over the dropdown's listbox (views/search/search-dropdown.ts):
// the arrow keys move the active option (aria-activedescendant) while focus stays in the box,
// Enter opens the active option (or, with none, the search page), Escape closes the list (above).
const searchOptions = () => [...document.querySelectorAll("#search-listbox [role=option]")];
function activateOption(input, option) {
  for (const other of searchOptions()) other.setAttribute("aria-selected", String(other === option));
  if (!option) return input.removeAttribute("aria-activedescendant");
  input.setAttribute("aria-activedescendant", option.id);
  option.scrollIntoView({ block: "nearest" });
}
document.addEventListener("keydown", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || !input.matches('.global-search input[role="combobox"]')) return;
  const options = searchOptions();
  const at = options.findIndex((option) => option.id === input.getAttribute("aria-activedescendant"));
  if ((event.key === "ArrowDown" || event.key === "ArrowUp") && options.length) {
    event.preventDefault();
    const step = event.key === "ArrowDown" ? 1 : -1;
    const next = at < 0 ? (step > 0 ? 0 : options.length - 1) : (at + step + options.length) % options.length;
    activateOption(input, options[next]);
  } else if (event.key === "Enter" && at >= 0) {
    event.preventDefault();
    location.assign(options[at].href);
  }
});
// Escape closes an open list (the listener above) and keeps what was typed; a second one clears
// the box, as the browser does. Capturing: this runs before the listener that empties the list.
document.addEventListener(
  "keydown",
  (event) => {
    if (event.key !== "Escape" || !(event.target instanceof Element)) return;
    if (event.target.matches('.global-search input[role="combobox"]') && searchOptions().length)
      event.preventDefault();
  },
  true,
);
// Whatever fills or empties the dropdown (typing, Escape, a click elsewhere), the box says
// whether its list is open, and an active option that is gone is forgotten.
const searchDropdown = document.getElementById("search-dropdown");
if (searchDropdown)
  new MutationObserver(() => {
    const input = document.querySelector('.global-search input[role="combobox"]');
    if (!input) return;
    input.setAttribute("aria-expanded", String(searchOptions().length > 0));
    if (!document.getElementById(input.getAttribute("aria-activedescendant") ?? ""))
      input.removeAttribute("aria-activedescendant");
  }).observe(searchDropdown, { childList: true });
// Double submits (issue 11): a form's submit buttons are disabled while its request is in
// flight, so a double click sends it once. An htmx form's from htmx:before:request (its values
// are already taken) to htmx:finally:request; a plain post's from just after the browser has
// taken its values (the pressed button's name and value are lost if it is disabled sooner) until
// the next page, a second submit before then being dropped. A post that leaves the page where it
// is (a download) gets its buttons back after 10 s, and a page come back to with Back at once.
const submitButtons = (form) =>
  [...form.querySelectorAll('button:not([type]), button[type="submit"], input[type="submit"]')].filter(
    (button) => !button.disabled,
  );
document.addEventListener("htmx:before:request", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const held = submitButtons(form);
  for (const button of held) button.disabled = true;
  form.addEventListener(
    "htmx:finally:request",
    () => {
      for (const button of held) button.disabled = false;
    },
    { once: true },
  );
});
document.addEventListener("submit", (event) => {
  const form = event.target;
  // htmx has already taken (and prevented) its own forms' submits.
  if (event.defaultPrevented || !(form instanceof HTMLFormElement) || form.method !== "post" || form.target)
    return;
  if (form.dataset.submitting) {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "1";
  setTimeout(() => {
    const held = submitButtons(form);
    for (const button of held) {
      button.disabled = true;
      button.dataset.held = "1";
    }
    setTimeout(() => {
      delete form.dataset.submitting;
      for (const button of held) {
        button.disabled = false;
        delete button.dataset.held;
      }
    }, 10_000);
  }, 0);
});
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  for (const form of document.querySelectorAll("form[data-submitting]")) {
    delete form.dataset.submitting;
    for (const button of form.querySelectorAll("[data-held]")) {
      button.disabled = false;
      delete button.dataset.held;
    }
  }
});
