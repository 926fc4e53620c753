import { COMPANY_KIND } from "../companies/company-kind.ts";
import { CONTACT_KIND } from "../contacts/contact-kind.ts";
import { DEAL_KIND } from "../deals/deal-kind.ts";
import type { RecordKind, RecordPath } from "../records/record-kind.ts";

/**
 * The kinds of record a list's bulk form (and the bulk API, and a saved view) may name, by
 * their plural. Each change goes through the kind's own services (src/records/record-kind.ts),
 * so it is validated and logged like a single one; a new kind is one more line.
 */
export const BULK_KINDS = {
  contacts: CONTACT_KIND,
  companies: COMPANY_KIND,
  deals: DEAL_KIND,
} satisfies Record<RecordPath, RecordKind>;

export type BulkKindName = keyof typeof BULK_KINDS;

/** The kind named in a URL (`/:kind/bulk`), if bulk changes reach it. */
export function bulkKind(name: string): RecordKind | undefined {
  return Object.hasOwn(BULK_KINDS, name) ? BULK_KINDS[name as BulkKindName] : undefined;
}
