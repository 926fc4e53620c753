import type { CompanyRecord } from "../companies/company-record.ts";
import type { ContactRecord } from "../contacts/contact-record.ts";
import { amountText } from "../core/money.ts";
import type { RecordPlural } from "../core/record-types.ts";
import type { DealRecord } from "../deals/deal-record.ts";
import type { CsvValue } from "../privacy/csv.ts";
import type { Shard } from "../tenancy/shard.ts";

/** One built-in column of a list's CSV: its header and how a record fills it. */
interface ExportColumn<R> {
  /** Its header; a time's names the zone it is written in ("created at (Europe/Paris)"). */
  header: string | ((zone: string) => string);
  value(record: R, batch: BatchValues): CsvValue;
}

/** What a batch of records needs besides their rows, read once per batch. */
export interface BatchValues {
  /** A deal's people, by deal id (empty for the other kinds). */
  people: Map<number, string>;
  /** A time as ISO 8601 in the workspace's zone. */
  at(ms: number | null): string | null;
}

const tags = (record: { tags: string[] }) => record.tags.join(", ");
function time<R>(label: string, ms: (record: R) => number | null): ExportColumn<R> {
  return { header: (zone) => `${label} (${zone})`, value: (record, batch) => batch.at(ms(record)) };
}

/** "created at" and "updated at", the last two columns of every kind. */
function stamps<R extends { createdAt: number; updatedAt: number }>(): ExportColumn<R>[] {
  return [time("created at", (r) => r.createdAt), time("updated at", (r) => r.updatedAt)];
}

/**
 * The built-in columns of each list's CSV, with the headers people and import tools read
 * ("first name", "email", "company"): the same as a segment's CSV for contacts. A linked
 * record's name comes with its id beside it ("company", "company id"), so a spreadsheet can
 * both read and join it. Times are ISO 8601 in the workspace's time zone, with its offset, the
 * zone named in the header; tags comma-separated, amounts in the currency's units ("1250.00").
 * Custom fields follow, by label, in the fields' order.
 */
const CONTACT_COLUMNS: ExportColumn<ContactRecord>[] = [
  { header: "id", value: (c) => c.id },
  { header: "first name", value: (c) => c.firstName },
  { header: "last name", value: (c) => c.lastName },
  { header: "email", value: (c) => c.email },
  { header: "phone", value: (c) => c.phone },
  { header: "title", value: (c) => c.title },
  { header: "company", value: (c) => c.companyName },
  { header: "company id", value: (c) => c.companyId },
  { header: "owner", value: (c) => c.ownerName },
  { header: "owner id", value: (c) => c.ownerId },
  { header: "tags", value: tags },
  ...stamps(),
];

const COMPANY_COLUMNS: ExportColumn<CompanyRecord>[] = [
  { header: "id", value: (c) => c.id },
  { header: "name", value: (c) => c.name },
  { header: "domain", value: (c) => c.domain },
  { header: "phone", value: (c) => c.phone },
  { header: "city", value: (c) => c.city },
  { header: "country", value: (c) => c.country },
  { header: "owner", value: (c) => c.ownerName },
  { header: "owner id", value: (c) => c.ownerId },
  { header: "people", value: (c) => c.contactCount },
  { header: "tags", value: tags },
  ...stamps(),
];

const DEAL_COLUMNS: ExportColumn<DealRecord>[] = [
  { header: "id", value: (d) => d.id },
  { header: "title", value: (d) => d.title },
  { header: "amount", value: (d) => amountText(d.amountCents, d.currency) },
  { header: "currency", value: (d) => d.currency },
  { header: "pipeline", value: (d) => d.pipelineName },
  { header: "pipeline id", value: (d) => d.pipelineId },
  { header: "stage", value: (d) => d.stageName },
  { header: "stage id", value: (d) => d.stageId },
  { header: "status", value: (d) => d.status },
  { header: "probability", value: (d) => d.stageProbability },
  { header: "expected close", value: (d) => d.expectedCloseOn },
  { header: "company", value: (d) => d.companyName },
  { header: "company id", value: (d) => d.companyId },
  { header: "contacts", value: (d, batch) => batch.people.get(d.id) ?? null },
  { header: "owner", value: (d) => d.ownerName },
  { header: "owner id", value: (d) => d.ownerId },
  { header: "lost reason", value: (d) => d.lostReason },
  time("closed at", (d) => d.closedAt),
  { header: "tags", value: tags },
  ...stamps(),
];

/** The people on each deal of a batch, by name ("Ada Lovelace; Grace Hopper"), one query for the batch. */
function dealPeople(shard: Shard, ids: number[]): Map<number, string> {
  const rows = shard
    .statement(
      `SELECT dc.deal_id AS dealId,
         group_concat(CASE WHEN c.last_name = '' THEN c.first_name ELSE c.first_name || ' ' || c.last_name END, '; ') AS names
       FROM deal_contacts dc JOIN contacts c ON c.id = dc.contact_id
       WHERE dc.deal_id IN (SELECT value FROM json_each(?)) GROUP BY dc.deal_id`,
    )
    .all(JSON.stringify(ids)) as { dealId: number; names: string }[];
  return new Map(rows.map((r) => [r.dealId, r.names]));
}

/** A kind's CSV columns, as the exporter uses them for any record of that kind. */
export interface ExportShape {
  /** The headers, times naming `zone`. */
  headers(zone: string): string[];
  /** A deal's people for a batch, read once for the batch (empty for other kinds). */
  people(shard: Shard, ids: number[]): Map<number, string>;
  row(record: { id: number }, batch: BatchValues): CsvValue[];
}

function shape<R extends { id: number }>(
  columns: ExportColumn<R>[],
  people: (shard: Shard, ids: number[]) => Map<number, string> = () => new Map(),
): ExportShape {
  return {
    headers: (zone) => columns.map((c) => (typeof c.header === "string" ? c.header : c.header(zone))),
    people,
    row: (record, batch) => columns.map((c) => c.value(record as R, batch)),
  };
}

/** Each list's columns, by the list's path. */
export const EXPORT_SHAPES: Record<RecordPlural, ExportShape> = {
  contacts: shape(CONTACT_COLUMNS),
  companies: shape(COMPANY_COLUMNS),
  deals: shape(DEAL_COLUMNS, dealPeople),
};
