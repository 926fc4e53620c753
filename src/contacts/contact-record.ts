import type { RecordTable } from "../records/record-table.ts";
import { tagsFromColumn } from "../tags/tag-input.ts";

/** A contact as services return it: the row plus what lists and pages show beside it. */
export interface ContactRecord {
  id: number;
  firstName: string;
  lastName: string;
  email: string | null;
  phone: string | null;
  title: string | null;
  companyId: number | null;
  companyName: string | null;
  ownerId: number | null;
  ownerName: string | null;
  tags: string[];
  externalId: string | null;
  createdAt: number;
  updatedAt: number;
}

/** The columns every contact query selects, aliased to ContactRecord's names. */
export const CONTACT_COLUMNS = `c.id, c.first_name AS firstName, c.last_name AS lastName, c.email, c.phone, c.title,
  c.company_id AS companyId, co.name AS companyName, c.owner_id AS ownerId, u.name AS ownerName,
  c.created_at AS createdAt, c.updated_at AS updatedAt, c.tags, c.external_id AS externalId`;

export const CONTACT_JOINS = `LEFT JOIN companies co ON co.id = c.company_id LEFT JOIN users u ON u.id = c.owner_id`;

export type ContactRow = Omit<ContactRecord, "tags"> & { tags: string };

export function toContactRecord(row: ContactRow): ContactRecord {
  return { ...row, tags: tagsFromColumn(row.tags) };
}

/** How contacts are stored and read (see RecordTable). */
export const CONTACT_TABLE: RecordTable<ContactRecord, ContactRow> = {
  type: "contact",
  name: "contacts",
  from: "contacts c",
  alias: "c",
  fts: "contacts_fts",
  tagLinks: "contact_tags",
  tagColumn: "contact_id",
  columns: CONTACT_COLUMNS,
  joins: CONTACT_JOINS,
  toRecord: toContactRecord,
};

export function contactName(contact: Pick<ContactRecord, "firstName" | "lastName">): string {
  return contact.lastName ? `${contact.firstName} ${contact.lastName}` : contact.firstName;
}

/** The API's JSON shape of a contact (see the OpenAPI document). */
export function contactJson(contact: ContactRecord) {
  return {
    id: contact.id,
    firstName: contact.firstName,
    lastName: contact.lastName,
    email: contact.email,
    phone: contact.phone,
    title: contact.title,
    companyId: contact.companyId,
    ownerId: contact.ownerId,
    tags: contact.tags,
    externalId: contact.externalId,
    createdAt: new Date(contact.createdAt).toISOString(),
    updatedAt: new Date(contact.updatedAt).toISOString(),
  };
}
