import { csrfField } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";

export interface PrivacyPageProps {
  ctx: PageContext;
  /** `/t/<slug>` */
  base: string;
  /** Owners download the whole workspace. */
  canDownloadWorkspace: boolean;
  /** Admins and owners export and erase a person. */
  canManagePeople: boolean;
}

function workspaceDownloads(base: string, csrfToken: string): Html {
  const prepare = (path: string, label: string) =>
    html`<form method="post" action="${base}/privacy/${path}" class="inline">${csrfField(csrfToken)}<button type="submit">${label}</button></form>`;
  return html`<ul class="plain"><li>${prepare("workspace.sqlite", "Prepare a copy of the workspace (SQLite)")}: a consistent copy of everything, to back up or to open in any SQLite tool.</li><li>${prepare("workspace.zip", "Prepare every table as CSV (ZIP)")}: contacts, companies, deals, pipelines, tasks, notes, activity, tags, custom fields and the team&#39;s names, emails and roles.</li></ul><p class="hint">Each is prepared in the background while you watch its progress; then its page offers the file, once, to you alone (it is removed as it is downloaded, or after a day). Neither contains passwords, sign-in sessions, API keys or invitation links. Spreadsheet formulas in the CSV files are neutralised with a leading <code>&#39;</code>.</p>`;
}

/** Settings → Data & privacy: what can be exported or erased, and by whom. */
export function privacyPage(p: PrivacyPageProps): Html {
  return page(p.ctx, {
    title: "Data & privacy",
    nav: "settings",
    body: html`<section class="settings"><h1>Data &amp; privacy</h1><p class="hint">Settings: <a href="${p.base}/settings/users">Team</a> · Data &amp; privacy</p><h2>A person&#39;s data</h2><p>When someone asks what you hold about them, or asks to be forgotten, open their contact page.${
      p.canManagePeople
        ? " As an admin or owner you can:"
        : " Admins and owners of this workspace can, from there:"
    }</p><ul class="plain"><li><strong>Download their data</strong>: a ZIP with <code>person.json</code> (the contact, tags, company, owner, custom fields) and CSV files of their interactions, notes, tasks and deals.</li><li><strong>Erase them</strong>: the contact, their notes, tasks, custom field values and search entries are deleted, and their activity history is emptied (it keeps only that something happened, and when). The erasure is logged as <code>contact.erased</code>, with nothing about the person. Nothing of them is left in the workspace&#39;s file. It runs in the background with a progress page; the workspace&#39;s other changes wait a moment meanwhile. It cannot be undone.</li></ul><h2 id="workspace">The whole workspace</h2>${
      p.canDownloadWorkspace
        ? workspaceDownloads(p.base, p.ctx.csrfToken)
        : html`<p class="hint">Only owners of this workspace can download all of its data.</p>`
    }</section>`,
  });
}
