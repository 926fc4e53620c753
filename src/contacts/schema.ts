import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "../auth/schema.ts";
import { companies } from "../companies/schema.ts";
import { tags } from "../tags/schema.ts";

export const contacts = sqliteTable(
  "contacts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    firstName: text("first_name").notNull(),
    lastName: text("last_name").notNull().default(""),
    email: text("email"),
    phone: text("phone"),
    title: text("title"),
    companyId: integer("company_id").references(() => companies.id, { onDelete: "set null" }),
    ownerId: integer("owner_id").references(() => users.id, { onDelete: "set null" }),
    /** The tag names, comma-joined and sorted: a copy of the *_tags links (written with them by setTags) so a list page needs no per-row subquery. */
    tags: text("tags").notNull().default(""),
    /** The id another system knows this contact by (set through the API): unique in the workspace, for upserts. */
    externalId: text("external_id"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  // Every sortable column has an index ending in id, so keyset pagination is an index range scan.
  (t) => [
    index("contacts_created_idx").on(t.createdAt, t.id),
    index("contacts_updated_idx").on(t.updatedAt, t.id),
    index("contacts_name_idx").on(t.lastName, t.firstName, t.id),
    index("contacts_email_idx").on(t.email, t.id),
    index("contacts_company_idx").on(t.companyId),
    index("contacts_owner_idx").on(t.ownerId, t.createdAt, t.id),
    uniqueIndex("contacts_external_id_idx").on(t.externalId).where(sql`external_id IS NOT NULL`),
  ],
);

export const contactTags = sqliteTable(
  "contact_tags",
  {
    contactId: integer("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    tagId: integer("tag_id")
      .notNull()
      .references(() => tags.id, { onDelete: "cascade" }),
  },
  (t) => [
    primaryKey({ columns: [t.contactId, t.tagId] }),
    index("contact_tags_tag_idx").on(t.tagId, t.contactId),
  ],
);

export type Contact = typeof contacts.$inferSelect;
