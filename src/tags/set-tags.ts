import type { Shard } from "../tenancy/shard.ts";

/** Which join table links tags to which records. */
const LINKS = {
  contact: { table: "contact_tags", column: "contact_id", records: "contacts" },
  company: { table: "company_tags", column: "company_id", records: "companies" },
  deal: { table: "deal_tags", column: "deal_id", records: "deals" },
} as const;

export type Taggable = keyof typeof LINKS;

/** How a record's `tags` column holds its tags: sorted, comma-joined (tag names cannot contain commas). */
export function tagsColumn(names: string[]): string {
  return [...names].sort().join(",");
}

/**
 * Replaces a record's tags with `names` (already validated), creating tags the workspace has
 * not used before, and keeps the record's own `tags` column (what lists display) in step.
 * Call inside the transaction that writes the record.
 */
export function setTags(shard: Shard, kind: Taggable, recordId: number, names: string[]): void {
  const { table, column, records } = LINKS[kind];
  shard.statement(`UPDATE ${records} SET tags = ? WHERE id = ?`).run(tagsColumn(names), recordId);
  shard.statement(`DELETE FROM ${table} WHERE ${column} = ?`).run(recordId);
  const link = shard.statement(`INSERT OR IGNORE INTO ${table} (${column}, tag_id) VALUES (?, ?)`);
  for (const name of names) link.run(recordId, ensureTag(shard, name).id);
}

/** The tag called `name` (validated), created if the workspace has none yet (`made`). Inside the write's transaction. */
export function ensureTag(shard: Shard, name: string): { id: number; made: boolean } {
  const made =
    shard.statement("INSERT INTO tags (name) VALUES (?) ON CONFLICT (name) DO NOTHING").run(name).changes ===
    1;
  const tag = shard.statement("SELECT id FROM tags WHERE name = ?").get(name) as { id: number };
  return { id: tag.id, made };
}

/**
 * Links records just created (whose `tags` column already holds their names, see tagsColumn)
 * to their tags: `links` as [record id, tag id] pairs. What setTags does for one record, for many.
 */
export function linkNewTags(shard: Shard, kind: Taggable, links: [number, number][]): void {
  const { table, column } = LINKS[kind];
  const link = shard.statement(`INSERT OR IGNORE INTO ${table} (${column}, tag_id) VALUES (?, ?)`);
  for (const [recordId, tagId] of links) link.run(recordId, tagId);
}

/** A record's tag names, alphabetical. */
export function tagsOf(shard: Shard, kind: Taggable, recordId: number): string[] {
  const { table, column } = LINKS[kind];
  const rows = shard
    .statement(
      `SELECT t.name FROM ${table} x JOIN tags t ON t.id = x.tag_id WHERE x.${column} = ? ORDER BY t.name`,
    )
    .all(recordId) as { name: string }[];
  return rows.map((r) => r.name);
}

/** Every tag in the workspace, for filter menus. */
export function allTags(shard: Shard): string[] {
  return (shard.statement("SELECT name FROM tags ORDER BY name").all() as { name: string }[]).map(
    (r) => r.name,
  );
}
