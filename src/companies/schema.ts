import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "../auth/schema.ts";
import { tags } from "../tags/schema.ts";

export const companies = sqliteTable(
  "companies",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    domain: text("domain"),
    phone: text("phone"),
    city: text("city"),
    country: text("country"),
    ownerId: integer("owner_id").references(() => users.id, { onDelete: "set null" }),
    /** The tag names, comma-joined and sorted: a copy of the *_tags links (written with them by setTags) so a list page needs no per-row subquery. */
    tags: text("tags").notNull().default(""),
    /** The id another system knows this company by (set through the API): unique in the workspace, for upserts. */
    externalId: text("external_id"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  // Every sortable column has an index ending in id, so keyset pagination is an index range scan.
  (t) => [
    index("companies_created_idx").on(t.createdAt, t.id),
    index("companies_updated_idx").on(t.updatedAt, t.id),
    index("companies_name_idx").on(t.name, t.id),
    index("companies_owner_idx").on(t.ownerId, t.createdAt, t.id),
    // The duplicate warning's lookup (domains are stored normalised: see domainName).
    index("companies_domain_idx").on(t.domain, t.id),
    uniqueIndex("companies_external_id_idx").on(t.externalId).where(sql`external_id IS NOT NULL`),
  ],
);

export const companyTags = sqliteTable(
  "company_tags",
  {
    companyId: integer("company_id")
      .notNull()
      .references(() => companies.id, { onDelete: "cascade" }),
    tagId: integer("tag_id")
      .notNull()
      .references(() => tags.id, { onDelete: "cascade" }),
  },
  (t) => [
    primaryKey({ columns: [t.companyId, t.tagId] }),
    index("company_tags_tag_idx").on(t.tagId, t.companyId),
  ],
);

export type Company = typeof companies.$inferSelect;
