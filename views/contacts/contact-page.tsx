import { type ContactRecord, contactName } from "../../src/contacts/contact-record.ts";
import { formatDateTime } from "../components/format.ts";
import type { RowContext } from "../components/row-context.ts";
import { tagChips } from "../components/tags.ts";
import type { Html, HtmlValue } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";

export interface ContactPageProps {
  ctx: PageContext;
  contact: ContactRecord;
  row: RowContext;
  /** Owners and admins see the privacy tools (export, erase). */
  canManagePrivacy: boolean;
  /** Deals, tasks and the timeline, rendered by their own components. */
  sections: HtmlValue;
}

/** A contact's own page. */
export function contactPage({ ctx, contact: c, row, canManagePrivacy, sections }: ContactPageProps): Html {
  const path = `${row.base}/contacts/${c.id}`;
  return page(ctx, {
    title: contactName(c),
    nav: "contacts",
    body: (
      <article class="record">
        <div class="page-head">
          <h1>{contactName(c)}</h1>
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
        {canManagePrivacy && (
          <p class="privacy-links">
            <a href={`${row.base}/privacy/contacts/${c.id}/export`}>Export this person's data</a> ·{" "}
            <a href={`${row.base}/privacy/contacts/${c.id}/erasure`} class="danger">
              Erase this person
            </a>
          </p>
        )}
        <p class="subtitle">
          {c.title}
          {c.title && c.companyId ? " at " : ""}
          {c.companyId && <a href={`${row.base}/companies/${c.companyId}`}>{c.companyName}</a>}
        </p>
        <dl class="facts">
          <dt>Email</dt>
          <dd>{c.email ? <a href={`mailto:${c.email}`}>{c.email}</a> : "—"}</dd>
          <dt>Phone</dt>
          <dd>{c.phone ?? "—"}</dd>
          <dt>Owner</dt>
          <dd>{c.ownerName ?? "—"}</dd>
          <dt>Tags</dt>
          <dd>{c.tags.length ? tagChips(c.tags, `${row.base}/contacts`) : "—"}</dd>
          <dt>Created</dt>
          <dd>{formatDateTime(c.createdAt)}</dd>
          <dt>Updated</dt>
          <dd>{formatDateTime(c.updatedAt)}</dd>
        </dl>
        {sections}
        <p>
          <a href={`${row.base}/contacts`}>← All contacts</a>
        </p>
      </article>
    ),
  });
}
