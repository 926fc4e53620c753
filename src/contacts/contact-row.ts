import type { SQLQueryBindings } from "bun:sqlite";
import { ownerIssue } from "../auth/users.ts";
import { companyIssue } from "../companies/company-exists.ts";
import type { FieldIssue } from "../core/errors.ts";
import type { Actor } from "../identity/viewer.ts";
import { recordInteraction } from "../interactions/record-interaction.ts";
import { externalIdIssue } from "../records/external-id.ts";
import { tagsColumn } from "../tags/set-tags.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { ContactCreate } from "./contact-input.ts";
import { contactName } from "./contact-record.ts";

/**
 * What a new contact is checked against and stored as, for the one-record service
 * (createContact) and the bulk one (createContacts) alike: one place for both.
 */

/** What the workspace must hold for the contact: its company and its owner (ids from input). */
export function contactIssues(
  shard: Shard,
  input: Pick<ContactCreate, "companyId" | "ownerId" | "externalId">,
): FieldIssue[] {
  return [
    ...companyIssue(shard, input.companyId),
    ...ownerIssue(shard, input.ownerId),
    ...externalIdIssue(shard, "contacts", input.externalId),
  ];
}

/** The columns of a new contact's row, in the order contactRow gives the values. */
export const CONTACT_INSERT_COLUMNS =
  "first_name, last_name, email, phone, title, company_id, owner_id, tags, external_id, created_at, updated_at";
const PER_ROW = CONTACT_INSERT_COLUMNS.split(",").length;

/** `INSERT INTO contacts` of `rows` rows (a constant shape per count: prepared once per open shard). */
export function contactInsertSql(rows: number): string {
  const one = `(${Array.from({ length: PER_ROW }, () => "?").join(", ")})`;
  return `INSERT INTO contacts (${CONTACT_INSERT_COLUMNS}) VALUES ${Array.from({ length: rows }, () => one).join(", ")}`;
}

/** A new contact's row values (appended to `out`, for a statement inserting several). */
export function contactRow(
  input: ContactCreate,
  now: number,
  out: SQLQueryBindings[] = [],
): SQLQueryBindings[] {
  out.push(
    input.firstName,
    input.lastName,
    input.email ?? null,
    input.phone ?? null,
    input.title ?? null,
    input.companyId ?? null,
    input.ownerId ?? null,
    tagsColumn(input.tags),
    input.externalId ?? null,
    now,
    now,
  );
  return out;
}

/** The new contact's `contact.created` log entry, in the transaction that creates it. */
export function logContactCreated(
  shard: Shard,
  actor: Actor,
  id: number,
  input: ContactCreate,
  now: number,
): void {
  recordInteraction(shard, {
    actor,
    kind: "contact.created",
    subjectType: "contact",
    subjectId: id,
    occurredAt: now,
    payload: { name: contactName(input) },
  });
}
