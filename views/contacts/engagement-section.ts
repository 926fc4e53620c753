import type { Engagement, EngagementDetails } from "../../src/contacts/contact-engagement.ts";
import { utcToZoned } from "../../src/core/time-zone.ts";
import { formatCount } from "../components/format.ts";
import { type Html, html, join } from "../html.ts";

/** The kinds integrations push, in words (README lists the same). */
const ENGAGEMENT_LABELS: Record<string, string> = {
  "web.visit": "Web visits",
  "email.opened": "Email opens",
  "email.clicked": "Email clicks",
  "form.submitted": "Form submissions",
};

/** A URL the sender pushed, as a link only if it is http(s); anything else (javascript:, data:…) stays text. */
function pushedUrl(url: string): Html {
  let scheme = "";
  try {
    scheme = new URL(url).protocol;
  } catch {}
  return scheme === "http:" || scheme === "https:"
    ? html`<a class="url" href="${url}" rel="nofollow noopener noreferrer" target="_blank">${url}</a>`
    : html`<span class="url">${url}</span>`;
}

/** The latest event's page, campaign and form, as escaped text. */
function lastDetails(d: EngagementDetails): Html {
  const parts: Html[] = [];
  if (d.campaign) parts.push(html`Campaign: ${d.campaign}`);
  if (d.form) parts.push(html`Form: ${d.form}`);
  if (d.title) parts.push(html`${d.title}`);
  if (d.url) parts.push(pushedUrl(d.url));
  return parts.length
    ? join(parts.map((part, i) => (i === 0 ? part : html` · ${part}`)))
    : html`<span class="muted">—</span>`;
}

function when(ms: number, zone: string): Html {
  const { day, time } = utcToZoned(ms, zone);
  return html`<time datetime="${new Date(ms).toISOString()}">${day} ${time}</time>`;
}

/**
 * A contact's engagement from integrations' events (web visits, email opens and clicks, form
 * submissions): per kind, how many, first and last seen in the viewer's zone, and the last one's
 * details. Every value is the sender's text, escaped; only an http(s) URL becomes a link.
 */
export function engagementSection(rows: Engagement[], zone: string): Html {
  return html`<section class="related engagement" aria-labelledby="engagement-title">
<div class="section-head"><h2 id="engagement-title">Engagement</h2></div>
${
  rows.length
    ? html`<table class="list engagement"><thead><tr><th scope="col">Kind</th><th scope="col">Count</th><th scope="col">First seen</th><th scope="col">Last seen</th><th scope="col">Last one</th></tr></thead><tbody>${join(
        rows.map(
          (e) =>
            html`<tr data-kind="${e.kind}"><th scope="row">${ENGAGEMENT_LABELS[e.kind] ?? e.kind}</th><td class="num">${formatCount(e.count)}</td><td>${when(e.firstAt, zone)}</td><td>${when(e.lastAt, zone)}</td><td class="text">${lastDetails(e.last)}</td></tr>`,
        ),
      )}</tbody></table><p class="hint">Times in your time zone (${zone}).</p>`
    : html`<p class="empty">No web visits, email opens or clicks, or form submissions yet.</p>`
}
</section>`;
}
