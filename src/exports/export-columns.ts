import type { CompanyRecord } from "../companies/company-record.ts";
import type { ContactRecord } from "../contacts/contact-record.ts";
import { amountText } from "../core/money.ts";
import type { RecordPlural } from "../core/record-types.ts";
import type { DealRecord } from "../deals/deal-record.ts";
import type { CsvValue } from "../privacy/csv.ts";
import type { Shard } from "../tenancy/shard.ts";

/** One built-in column of a list's CSV: its header and how a record fills it. */
interface ExportColumn<R> {
  header: string;
  value(record: R, extra: ExtraValues): CsvValue;
}

/** What a batch of records needs besides their rows (a deal's people), read once per batch. */
type ExtraValues = Map<number, string>;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const tags = (record: { tags: string[] }) => record.tags.join(", ");

/**
 * The built-in columns of each list's CSV, with the headers people and import tools read
 * ("first name", "email", "company"): the same as a segment's CSV for contacts. Times are ISO
 * 8601 (UTC), tags comma-separated, amounts in the currency's units ("1250.00"). Custom fields
 * follow, by label.
 */
const CONTACT_COLUMNS: ExportColumn<ContactRecord>[] = [
  { header: "id", value: (c) => c.id },
  { header: "first name", value: (c) => c.firstName },
  { header: "last name", value: (c) => c.lastName },
  { header: "email", value: (c) => c.email },
  { header: "phone", value: (c) => c.phone },
  { header: "title", value: (c) => c.title },
  { header: "company", value: (c) => c.companyName },
  { header: "owner", value: (c) => c.ownerName },
  { header: "tags", value: tags },
  { header: "created at", value: (c) => iso(c.createdAt) },
  { header: "updated at", value: (c) => iso(c.updatedAt) },
];

const COMPANY_COLUMNS: ExportColumn<CompanyRecord>[] = [
  { header: "id", value: (c) => c.id },
  { header: "name", value: (c) => c.name },
  { header: "domain", value: (c) => c.domain },
  { header: "phone", value: (c) => c.phone },
  { header: "city", value: (c) => c.city },
  { header: "country", value: (c) => c.country },
  { header: "owner", value: (c) => c.ownerName },
  { header: "people", value: (c) => c.contactCount },
  { header: "tags", value: tags },
  { header: "created at", value: (c) => iso(c.createdAt) },
  { header: "updated at", value: (c) => iso(c.updatedAt) },
];

const DEAL_COLUMNS: ExportColumn<DealRecord>[] = [
  { header: "id", value: (d) => d.id },
  { header: "title", value: (d) => d.title },
  { header: "amount", value: (d) => amountText(d.amountCents, d.currency) },
  { header: "currency", value: (d) => d.currency },
  { header: "pipeline", value: (d) => d.pipelineName },
  { header: "stage", value: (d) => d.stageName },
  { header: "status", value: (d) => d.status },
  { header: "probability", value: (d) => d.stageProbability },
  { header: "expected close", value: (d) => d.expectedCloseOn },
  { header: "company", value: (d) => d.companyName },
  { header: "contacts", value: (d, people) => people.get(d.id) ?? null },
  { header: "owner", value: (d) => d.ownerName },
  { header: "lost reason", value: (d) => d.lostReason },
  { header: "closed at", value: (d) => iso(d.closedAt) },
  { header: "tags", value: tags },
  { header: "created at", value: (d) => iso(d.createdAt) },
  { header: "updated at", value: (d) => iso(d.updatedAt) },
];

/** The people on each deal of a batch, by name ("Ada Lovelace; Grace Hopper"), one query for the batch. */
function dealPeople(shard: Shard, ids: number[]): ExtraValues {
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
  headers: string[];
  /** What a batch needs besides its records, read once for the batch. */
  extra(shard: Shard, ids: number[]): ExtraValues;
  row(record: { id: number }, extra: ExtraValues): CsvValue[];
}

function shape<R extends { id: number }>(
  columns: ExportColumn<R>[],
  extra: (shard: Shard, ids: number[]) => ExtraValues = () => new Map(),
): ExportShape {
  return {
    headers: columns.map((c) => c.header),
    extra,
    row: (record, values) => columns.map((c) => c.value(record as R, values)),
  };
}

/** Each list's columns, by the list's path. */
export const EXPORT_SHAPES: Record<RecordPlural, ExportShape> = {
  contacts: shape(CONTACT_COLUMNS),
  companies: shape(COMPANY_COLUMNS),
  deals: shape(DEAL_COLUMNS, dealPeople),
};
