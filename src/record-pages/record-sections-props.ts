import type { Context } from "hono";
import type { RecordSectionsProps } from "../../views/records/record-sections.ts";
import { companyInsight, contactInsight } from "../analytics/record-insight.ts";
import { countDeals, listDeals } from "../deals/list-deals.ts";
import type { ViewerEnv } from "../http/app-env.ts";
import { rowContext } from "../http/page-context.ts";
import type { RequestSecrets } from "../lists/render-cache.ts";
import { subjectSectionsProps } from "../records/subject-sections-props.ts";
import { workspaceLocale } from "../settings/workspace-money.ts";

/**
 * What a contact's or company's page shows under its facts: what every record's page shows
 * (custom fields, tasks, timeline) and its deals, with "New deal" from a contact's page.
 * Here rather than in src/records because it reads deals, whose own pages use src/records.
 * `secrets` are the nonce and token to write, `now` the minute the page is for (cachedRecordPage).
 */
export function recordSectionsProps(
  c: Context<ViewerEnv>,
  subject: { type: "contact" | "company"; id: number },
  secrets: RequestSecrets,
  now: number,
): RecordSectionsProps {
  const shard = c.var.shard;
  const row = rowContext(c);
  const filter = subject.type === "contact" ? { contactId: subject.id } : { companyId: subject.id };
  const deals = listDeals(shard, { ...filter, limit: 10 });
  const query = subject.type === "contact" ? `contactId=${subject.id}` : `companyId=${subject.id}`;
  return {
    ...subjectSectionsProps(c, subject, secrets, now),
    deals: {
      rows: deals.rows,
      newHref:
        row.canWrite && subject.type === "contact" ? `${row.base}/deals/new?contactId=${subject.id}` : null,
      allHref: `${row.base}/deals?${query}`,
      total: deals.nextCursor ? countDeals(shard, { ...filter, limit: 10 }) : deals.rows.length,
      locale: workspaceLocale(shard),
    },
    insight:
      subject.type === "contact"
        ? contactInsight(shard, subject.id, now)
        : companyInsight(shard, subject.id, now),
  };
}
