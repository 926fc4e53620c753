import type { BackgroundTaskView } from "../../src/background/background-tasks.ts";
import { csrfField } from "../components/form-field.ts";
import { formatCount } from "../components/format.ts";
import { type Html, html, join } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { NavKey, PageContext } from "../layouts/page-context.ts";

/** What a task may leave for its page to show: lines to read and links to follow (a download, a report). */
export interface TaskOutcome {
  summary?: string[];
  links?: { href: string; label: string }[];
}

export interface TaskProgressProps {
  task: BackgroundTaskView;
  /** The task's page: the fragment polls it, Cancel posts to it. */
  href: string;
  nonce: string;
  csrfToken: string;
}

const STATUS_TEXT: Record<string, string> = {
  queued: "Waiting for a free worker…",
  running: "Working…",
  done: "Done.",
  failed: "Failed.",
  cancelled: "Cancelled.",
};

function outcome(task: BackgroundTaskView): Html {
  const result = (task.result ?? {}) as TaskOutcome;
  const summary = Array.isArray(result.summary) ? result.summary.filter((s) => typeof s === "string") : [];
  // Only links the server made to its own pages: a path under this workspace.
  const links = (Array.isArray(result.links) ? result.links : []).filter(
    (l) => typeof l?.href === "string" && l.href.startsWith("/t/") && !l.href.startsWith("//"),
  );
  return html`${summary.length ? html`<ul class="plain">${join(summary.map((line) => html`<li>${line}</li>`))}</ul>` : ""}${
    links.length
      ? html`<p>${join(links.map((l) => html`<a class="button" href="${l.href}">${l.label}</a> `))}</p>`
      : ""
  }`;
}

/**
 * A background task's progress: a bar, what it is doing, and when it ends, its outcome. While
 * it runs, htmx asks again every second and swaps this section; without JavaScript, Refresh
 * does the same. Cancel posts a form.
 */
export function taskProgress(p: TaskProgressProps): Html {
  const t = p.task;
  const status = t.interrupted
    ? t.kind === "import"
      ? "Interrupted: the server stopped before this finished. What it wrote is taken back automatically."
      : "Interrupted: the server stopped before this finished. Start it again if you still need it."
    : STATUS_TEXT[t.status];
  const polling =
    t.finished || t.interrupted
      ? ""
      : html` hx-get="${p.href}" hx-trigger="every 1s" hx-swap="outerHTML" hx-nonce="${p.nonce}"`;
  const bar =
    t.total && t.total > 0
      ? html`<progress max="${t.total}" value="${Math.min(t.done, t.total)}">${Math.floor((100 * t.done) / t.total)} %</progress> <span>${formatCount(t.done)} of ${formatCount(t.total)}</span>`
      : t.finished
        ? ""
        : html`<progress></progress> <span>${formatCount(t.done)}</span>`;
  return html`<section id="task-${t.id}" class="task-progress" aria-live="polite"${polling}>
<p class="status status-${t.status}">${status}${t.cancelRequested && !t.finished ? " Stopping…" : ""}</p>
${bar ? html`<p>${bar}</p>` : ""}
${t.message ? html`<p class="muted">${t.message}</p>` : ""}
${t.status === "done" ? outcome(t) : ""}
${
  t.finished || t.interrupted
    ? ""
    : html`<form method="post" action="${p.href}/cancel">${csrfField(p.csrfToken)}<button type="submit" class="danger"${t.cancelRequested ? " disabled" : ""}>Cancel</button> <a href="${p.href}">Refresh</a></form>`
}
</section>`;
}

/** The page of one background task. */
export function taskProgressPage(ctx: PageContext, nav: NavKey | undefined, p: TaskProgressProps): Html {
  return page(ctx, {
    title: p.task.label,
    nav,
    body: html`<h1>${p.task.label}</h1>
${taskProgress(p)}`,
  });
}
