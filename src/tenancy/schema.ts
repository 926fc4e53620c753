import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * One row per shard: which tenant the file belongs to and a change counter that
 * triggers bump on every write to business data. Caches and ETags key on it, so a
 * write from any process (server, CLI, worker) invalidates them (ARCHITECTURE invariant 9).
 */
export const shardState = sqliteTable("shard_state", {
  id: integer("id").primaryKey(),
  tenantId: text("tenant_id").notNull(),
  changeCounter: integer("change_counter").notNull().default(0),
});

export type ShardState = typeof shardState.$inferSelect;
