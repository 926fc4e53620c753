import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "../auth/schema.ts";
import { companies } from "../companies/schema.ts";
import { contacts } from "../contacts/schema.ts";
import { pipelines, STAGE_KINDS, stages } from "../pipelines/schema.ts";
import { tags } from "../tags/schema.ts";

export const deals = sqliteTable(
  "deals",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    title: text("title").notNull(),
    /** In the currency's minor unit (cents): sums stay exact. */
    amountCents: integer("amount_cents").notNull().default(0),
    currency: text("currency").notNull(),
    /** A calendar day, YYYY-MM-DD. */
    expectedCloseOn: text("expected_close_on"),
    pipelineId: integer("pipeline_id")
      .notNull()
      .references(() => pipelines.id),
    stageId: integer("stage_id")
      .notNull()
      .references(() => stages.id),
    companyId: integer("company_id").references(() => companies.id, { onDelete: "set null" }),
    ownerId: integer("owner_id").references(() => users.id, { onDelete: "set null" }),
    /** The stage's kind, kept with the deal so lists filter on it without a join. */
    status: text("status", { enum: STAGE_KINDS }).notNull(),
    lostReason: text("lost_reason"),
    closedAt: integer("closed_at"),
    /** The tag names, comma-joined and sorted (a copy of deal_tags, as on contacts). */
    tags: text("tags").notNull().default(""),
    /** The id another system knows this deal by (set through the API): unique in the workspace, for upserts. */
    externalId: text("external_id"),
    /** When the deal entered its current stage: the board's column order. */
    stageEnteredAt: integer("stage_entered_at").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("deals_stage_idx").on(t.stageId, t.stageEnteredAt, t.id),
    index("deals_created_idx").on(t.createdAt, t.id),
    index("deals_updated_idx").on(t.updatedAt, t.id),
    index("deals_title_idx").on(t.title, t.id),
    index("deals_amount_idx").on(t.amountCents, t.id),
    index("deals_company_idx").on(t.companyId),
    index("deals_owner_idx").on(t.ownerId, t.createdAt, t.id),
    index("deals_pipeline_idx").on(t.pipelineId, t.createdAt, t.id),
    uniqueIndex("deals_external_id_idx").on(t.externalId).where(sql`external_id IS NOT NULL`),
    check("deals_status_check", sql`${t.status} in ('open', 'won', 'lost')`),
  ],
);

export const dealTags = sqliteTable(
  "deal_tags",
  {
    dealId: integer("deal_id")
      .notNull()
      .references(() => deals.id, { onDelete: "cascade" }),
    tagId: integer("tag_id")
      .notNull()
      .references(() => tags.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.dealId, t.tagId] }), index("deal_tags_tag_idx").on(t.tagId, t.dealId)],
);

/** The people on a deal. */
export const dealContacts = sqliteTable(
  "deal_contacts",
  {
    dealId: integer("deal_id")
      .notNull()
      .references(() => deals.id, { onDelete: "cascade" }),
    contactId: integer("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
  },
  (t) => [
    primaryKey({ columns: [t.dealId, t.contactId] }),
    index("deal_contacts_contact_idx").on(t.contactId, t.dealId),
  ],
);

/**
 * How many deals each stage holds and their sum, per currency: what a board's columns show.
 * Kept by triggers on deals (migrations/tenant/0004_*.sql) in the same transaction as every
 * insert, move, amount change and delete, so a board reads six rows instead of every deal.
 */
export const stageTotals = sqliteTable(
  "stage_totals",
  {
    stageId: integer("stage_id")
      .notNull()
      .references(() => stages.id, { onDelete: "cascade" }),
    currency: text("currency").notNull(),
    deals: integer("deals").notNull(),
    amountCents: integer("amount_cents").notNull(),
  },
  (t) => [primaryKey({ columns: [t.stageId, t.currency] })],
);

export type Deal = typeof deals.$inferSelect;
