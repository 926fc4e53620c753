import type { CompanyRecord } from "../../src/companies/company-record.ts";
import type { ContactRecord } from "../../src/contacts/contact-record.ts";
import { formatCount } from "../components/format.ts";
import { localTime } from "../components/local-time.ts";
import type { RowContext } from "../components/row-context.ts";
import { tagChips } from "../components/tags.raw.ts";
import { type Html, html, join } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { recordActions } from "../records/record-actions.ts";
import { type RecordSectionsProps, recordSections } from "../records/record-sections.ts";
import { domainLink } from "./company-row.raw.ts";

export interface CompanyPageProps {
  ctx: PageContext;
  company: CompanyRecord;
  /** The company's most recent contacts. */
  contacts: ContactRecord[];
  row: RowContext;
  /** Custom fields, deals, tasks and the timeline. */
  sections: RecordSectionsProps;
}

function person(base: string, c: ContactRecord): Html {
  return html`<li><a href="${base}/contacts/${c.id}">${c.firstName} ${c.lastName}</a>${c.title ? ` · ${c.title}` : ""}${c.email ? ` · ${c.email}` : ""}</li>`;
}

/** The company's people: its most recent ones, and a link to all of them when there are more. */
function people(co: CompanyRecord, contacts: ContactRecord[], base: string): Html {
  const all =
    co.contactCount > contacts.length
      ? html`<p><a href="${base}/contacts?companyId=${co.id}">All ${formatCount(co.contactCount)} contacts →</a></p>`
      : "";
  return html`<section class="related"><h2>People <span class="count">${formatCount(co.contactCount)}</span></h2>${
    contacts.length
      ? html`<ul class="people">${join(contacts.map((c) => person(base, c)))}</ul>`
      : html`<p class="empty">No contacts at this company yet.</p>`
  }${all}</section>`;
}

/** A company's own page, with its people. */
export function companyPage({ ctx, company: co, contacts, row, sections }: CompanyPageProps): Html {
  const path = `${row.base}/companies/${co.id}`;
  return page(ctx, {
    title: co.name,
    nav: "companies",
    body: html`<article class="record"><div class="page-head"><h1>${co.name}</h1>${row.canWrite ? recordActions(path, true) : ""}</div><dl class="facts"><dt>Website</dt><dd>${
      co.domain ? domainLink(co.domain) : "—"
    }</dd><dt>Phone</dt><dd>${co.phone ?? "—"}</dd><dt>Location</dt><dd>${
      [co.city, co.country].filter(Boolean).join(", ") || "—"
    }</dd><dt>Owner</dt><dd>${co.ownerName ?? "—"}</dd><dt>Tags</dt><dd>${
      co.tags.length ? tagChips(co.tags, `${row.base}/companies`) : "—"
    }</dd><dt>Created</dt><dd>${localTime(co.createdAt, sections.timeline.clock)}</dd><dt>Updated</dt><dd>${localTime(co.updatedAt, sections.timeline.clock)}</dd></dl>${people(co, contacts, row.base)}${recordSections(sections)}<p><a href="${row.base}/companies">← All companies</a></p></article>`,
  });
}
