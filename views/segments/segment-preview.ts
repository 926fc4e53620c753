import type { ContactRecord } from "../../src/contacts/contact-record.ts";
import { formatCount } from "../components/format.ts";
import { CONTACT_VIEW } from "../contacts/contact-view.ts";
import { type Html, html, join } from "../html.ts";

export interface SegmentPreviewProps {
  /** Where htmx posts the builder's form for a fresh count. */
  action: string;
  nonce: string;
  base: string;
  /** How many contacts match, and the newest of them. */
  result?: { count: number; preview: ContactRecord[] };
  /** Why there is no count: the rules' problems, or the server's refusal ("took too long"). */
  problems?: string[];
}

/** The count and the newest matching contacts, in the contacts list's own table. */
export function segmentPreviewContent(p: SegmentPreviewProps): Html {
  if (!p.result) {
    return html`<h2>Who matches</h2>
<p class="summary" id="segment-count">Fix the rules to see who matches.</p>
<ul class="form-errors" role="alert">${(p.problems ?? []).map((m) => html`<li>${m}</li>`)}</ul>`;
  }
  const { count, preview } = p.result;
  const row = { base: p.base, nonce: p.nonce, canWrite: false };
  return html`<h2>Who matches</h2>
<p class="summary" id="segment-count" data-count="${count}"><strong>${formatCount(count)}</strong> ${count === 1 ? "contact matches" : "contacts match"}${
    count > preview.length ? html`; the newest ${preview.length} are below` : ""
  }.</p>
${
  preview.length
    ? html`<table class="list"><thead><tr><th scope="col">${CONTACT_VIEW.nameHeader}</th>${CONTACT_VIEW.columns.map(
        (c) => html`<th scope="col">${c.label}</th>`,
      )}<th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${join(preview.map((contact) => CONTACT_VIEW.row(contact, row)))}</tbody></table>`
    : html`<p class="empty">No contacts match these rules.</p>`
}`;
}

/**
 * The live preview beside the rule builder. htmx posts the builder's form here 300 ms after
 * the last keystroke or choice (a newer request replaces one still running, which cancels its
 * count in the worker), and when the rules are redrawn; without JavaScript the Preview button
 * brings the page back with it filled in.
 */
export function segmentPreview(p: SegmentPreviewProps): Html {
  return html`<section id="segment-preview" class="results" aria-live="polite" aria-label="Preview" hx-post="${p.action}" hx-trigger="input delay:300ms from:#segment-form, segment-rules-changed from:body" hx-include="#segment-form" hx-sync="this:replace" hx-swap="innerHTML" hx-nonce="${p.nonce}">
${segmentPreviewContent(p)}
</section>`;
}
