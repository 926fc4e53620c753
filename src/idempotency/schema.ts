import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Requests already answered, by the `Idempotency-Key` their client sent: a retried request
 * with the same key and the same body gets the stored answer instead of being applied twice;
 * the same key with another body is refused. Written in the same transaction as the change
 * the request made, so a stored key always means a stored change. `scope` is who sent it
 * (`api_key:<id>` or `user:<id>`): one client's keys never answer another's requests.
 * Rows older than the retention window are deleted.
 */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    scope: text("scope").notNull(),
    key: text("key").notNull(),
    /** `METHOD path` the key was first used for. */
    route: text("route").notNull(),
    /** SHA-256 (hex) of the request body. */
    requestHash: text("request_hash").notNull(),
    status: integer("status").notNull(),
    /** The answer's body (JSON). */
    response: text("response").notNull(),
    /** The answer's Location header (a created record's address), replayed with it. */
    location: text("location"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index("idempotency_keys_created_idx").on(t.createdAt)],
);

export type IdempotencyKey = typeof idempotencyKeys.$inferSelect;
