import type { CompanyRecord } from "../../src/companies/company-record.ts";
import type { ContactRecord } from "../../src/contacts/contact-record.ts";
import { formatCount, formatDateTime } from "../components/format.ts";
import type { RowContext } from "../components/row-context.ts";
import { tagChips } from "../components/tags.ts";
import type { Html, HtmlValue } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { domainLink } from "./company-row.ts";

export interface CompanyPageProps {
  ctx: PageContext;
  company: CompanyRecord;
  /** The company's most recent contacts. */
  contacts: ContactRecord[];
  row: RowContext;
  /** Deals, tasks and the timeline, rendered by their own components. */
  sections: HtmlValue;
}

/** A company's own page, with its people. */
export function companyPage({ ctx, company: co, contacts, row, sections }: CompanyPageProps): Html {
  const path = `${row.base}/companies/${co.id}`;
  return page(ctx, {
    title: co.name,
    nav: "companies",
    body: (
      <article class="record">
        <div class="page-head">
          <h1>{co.name}</h1>
          {row.canWrite && (
            <div class="record-actions">
              <a class="button" href={`${path}/edit`}>
                Edit
              </a>
              <a class="button" href={`${path}/merge`}>
                Merge…
              </a>
              <a class="button danger" href={`${path}/delete`}>
                Delete
              </a>
            </div>
          )}
        </div>
        <dl class="facts">
          <dt>Website</dt>
          <dd>{co.domain ? domainLink(co.domain) : "—"}</dd>
          <dt>Phone</dt>
          <dd>{co.phone ?? "—"}</dd>
          <dt>Location</dt>
          <dd>{[co.city, co.country].filter(Boolean).join(", ") || "—"}</dd>
          <dt>Owner</dt>
          <dd>{co.ownerName ?? "—"}</dd>
          <dt>Tags</dt>
          <dd>{co.tags.length ? tagChips(co.tags, `${row.base}/companies`) : "—"}</dd>
          <dt>Created</dt>
          <dd>{formatDateTime(co.createdAt)}</dd>
          <dt>Updated</dt>
          <dd>{formatDateTime(co.updatedAt)}</dd>
        </dl>
        <section class="related">
          <h2>
            People <span class="count">{formatCount(co.contactCount)}</span>
          </h2>
          {contacts.length ? (
            <ul class="people">
              {contacts.map((c) => (
                <li>
                  <a href={`${row.base}/contacts/${c.id}`}>
                    {c.firstName} {c.lastName}
                  </a>
                  {c.title ? ` · ${c.title}` : ""}
                  {c.email ? ` · ${c.email}` : ""}
                </li>
              ))}
            </ul>
          ) : (
            <p class="empty">No contacts at this company yet.</p>
          )}
          {co.contactCount > contacts.length && (
            <p>
              <a href={`${row.base}/contacts?companyId=${co.id}`}>
                All {formatCount(co.contactCount)} contacts →
              </a>
            </p>
          )}
        </section>
        {sections}
        <p>
          <a href={`${row.base}/companies`}>← All companies</a>
        </p>
      </article>
    ),
  });
}
