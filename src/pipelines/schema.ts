import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** What reaching a stage means for a deal: still open, won, or lost. */
export const STAGE_KINDS = ["open", "won", "lost"] as const;
export type StageKind = (typeof STAGE_KINDS)[number];

export const pipelines = sqliteTable(
  "pipelines",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    position: integer("position").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("pipelines_name_unique").on(t.name)],
);

export const stages = sqliteTable(
  "stages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    pipelineId: integer("pipeline_id")
      .notNull()
      .references(() => pipelines.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    position: integer("position").notNull(),
    /** Chance of winning a deal in this stage, 0–100: weights the pipeline's forecast. */
    probability: integer("probability").notNull(),
    kind: text("kind", { enum: STAGE_KINDS }).notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("stages_pipeline_idx").on(t.pipelineId, t.position),
    check("stages_kind_check", sql`${t.kind} in ('open', 'won', 'lost')`),
    check("stages_probability_check", sql`${t.probability} between 0 and 100`),
  ],
);

export type Pipeline = typeof pipelines.$inferSelect;
export type Stage = typeof stages.$inferSelect;
