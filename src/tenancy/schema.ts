import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * One row per shard: which tenant the file belongs to; a change counter that every write
 * transaction bumps (Shard.transaction), which caches and ETags key on, so a write from any
 * process (server, CLI, worker) invalidates them (ARCHITECTURE invariant 9); and a flag that
 * bulk loaders set inside their own transaction to index search in one pass at the end
 * (tenancy/bulk-load.ts). No other connection ever sees the flag set. `frozen_since` (ms, null
 * when writable) is set while the tenant moves to another host (`crm cluster move`): every write
 * transaction reads it at its end and is refused (src/tenancy/write-freeze.ts).
 */
export const shardState = sqliteTable("shard_state", {
  id: integer("id").primaryKey(),
  tenantId: text("tenant_id").notNull(),
  changeCounter: integer("change_counter").notNull().default(0),
  searchIndexDeferred: integer("search_index_deferred").notNull().default(0),
  frozenSince: integer("frozen_since"),
});

export type ShardState = typeof shardState.$inferSelect;
