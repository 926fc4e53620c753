import type { Engagement } from "../../src/contacts/contact-engagement.ts";
import type { ContactRecord } from "../../src/contacts/contact-record.ts";
import { localTime } from "../components/local-time.ts";
import type { RowContext } from "../components/row-context.ts";
import { tagChips } from "../components/tags.raw.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { recordActions } from "../records/record-actions.ts";
import { type RecordSectionsProps, recordSections } from "../records/record-sections.ts";
import { engagementSection } from "./engagement-section.ts";

export interface ContactPageProps {
  ctx: PageContext;
  contact: ContactRecord;
  /** The contact's full name. */
  name: string;
  row: RowContext;
  /** Owners and admins see the privacy tools (export, erase). */
  canManagePrivacy: boolean;
  /** Custom fields, deals, tasks and the timeline. */
  sections: RecordSectionsProps;
  /** Integrations' events summed up per kind (contact_engagement). */
  engagement: Engagement[];
  /** The viewer's time zone, which the engagement's times are shown in. */
  zone: string;
}

function privacyLinks(base: string, id: number): Html {
  return html`<p class="privacy-links"><a href="${base}/privacy/contacts/${id}/export">Export this person&#39;s data</a> · <a href="${base}/privacy/contacts/${id}/erasure" class="danger">Erase this person</a></p>`;
}

/** A contact's own page. */
export function contactPage({
  ctx,
  contact: c,
  name,
  row,
  canManagePrivacy,
  sections,
  engagement,
  zone,
}: ContactPageProps): Html {
  const path = `${row.base}/contacts/${c.id}`;
  const company = c.companyId
    ? html`<a href="${row.base}/companies/${c.companyId}">${c.companyName}</a>`
    : "";
  return page(ctx, {
    title: name,
    nav: "contacts",
    body: html`<article class="record"><div class="page-head"><h1>${name}</h1>${row.canWrite ? recordActions(path, true) : ""}</div>${
      canManagePrivacy ? privacyLinks(row.base, c.id) : ""
    }<p class="subtitle">${c.title}${c.title && c.companyId ? " at " : ""}${company}</p><dl class="facts"><dt>Email</dt><dd>${
      c.email ? html`<a href="mailto:${c.email}">${c.email}</a>` : "—"
    }</dd><dt>Phone</dt><dd>${c.phone ?? "—"}</dd><dt>Owner</dt><dd>${c.ownerName ?? "—"}</dd><dt>Tags</dt><dd>${
      c.tags.length ? tagChips(c.tags, `${row.base}/contacts`) : "—"
    }</dd><dt>Created</dt><dd>${localTime(c.createdAt, sections.timeline.clock)}</dd><dt>Updated</dt><dd>${localTime(c.updatedAt, sections.timeline.clock)}</dd></dl>${engagementSection(engagement, zone)}${recordSections(sections)}<p><a href="${row.base}/contacts">← All contacts</a></p></article>`,
  });
}
