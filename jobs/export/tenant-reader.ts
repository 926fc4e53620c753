import type { Database } from "bun:sqlite";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Tenant } from "../../src/tenancy/catalog-schema.ts";
import { loadMigrations, requireCurrentSchema, TENANT_MIGRATIONS } from "../../src/tenancy/migrations.ts";
import { openReadOnlyDatabase } from "../../src/tenancy/open-database.ts";
import { DIMENSIONS } from "./warehouse-layout.ts";

/** The kinds that rewrite a tenant's history in its file (docs/decisions/0005): the export rebuilds it. */
export const REWRITE_KINDS = [
  "contact.merged",
  "company.merged",
  "contact.erased",
  "activity.updated",
  "activity.deleted",
] as const;

const STAGE_KINDS = "('deal.stage_changed', 'deal.won', 'deal.lost')";

/** Contacts erased on request: nothing about them reaches the warehouse. */
const ERASED =
  "(SELECT subject_id FROM interactions WHERE subject_type = 'contact' AND kind = 'contact.erased')";

/**
 * The interaction log the warehouse holds, in id order: the `interactions` table and the
 * integrations' `events` (src/events/schema.ts) together, one log whose ids never collide (events
 * take theirs from the interactions' sequence), so one watermark covers both. Every column but
 * the payload, of which only the stage ids of stage moves are kept (payloads hold names and free
 * text; a payload that is not JSON gives none, rather than stopping the export); an event is a
 * row about its contact (subject_type 'contact'). Rows about an erased contact are left out
 * altogether. SQLite merges the two id-ordered scans (no sort).
 */
const INTERACTIONS_SQL = `
SELECT id, occurred_at, actor_type, actor_id, kind, subject_type, subject_id,
  CASE WHEN kind IN ${STAGE_KINDS} AND json_valid(payload) THEN json_extract(payload, '$.fromStageId') END,
  CASE WHEN kind IN ${STAGE_KINDS} AND json_valid(payload) THEN json_extract(payload, '$.toStageId') END
FROM interactions
WHERE id > ?1 AND id <= ?2
  AND NOT (subject_type = 'contact' AND subject_id IN ${ERASED})
UNION ALL
SELECT id, occurred_at, actor_type, actor_id, kind, 'contact', contact_id, NULL, NULL
FROM events
WHERE id > ?1 AND id <= ?2 AND contact_id NOT IN ${ERASED}
ORDER BY 1
LIMIT ?3`;

export type Row = (number | string | null)[];

/** The triggers that move the marks (tenant migration 0012): all there, or the marks are not trusted. */
const MARK_TRIGGERS = [...new Set(DIMENSIONS.map((d) => d.source))].flatMap((table) =>
  ["insert", "update", "delete"].map((event) => `${table}_export_mark_after_${event}`),
);
/** The mark triggers there, and the schema's cookie, in one statement (each costs its preparing, per file). */
const MARK_TRIGGERS_SQL = `SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN (${MARK_TRIGGERS.map((t) => `'${t}'`).join(", ")})) AS n, (SELECT schema_version FROM pragma_schema_version) AS cookie`;

/**
 * The log's last id over interactions and events, and whether an interaction after `?1` (up to
 * that id) rewrote history: one statement.
 */
const LOG_END_SQL = `
SELECT last.id AS id, EXISTS (
  SELECT 1 FROM interactions
  WHERE subject_type IN ('contact', 'company', 'deal') AND kind IN (${REWRITE_KINDS.map((k) => `'${k}'`).join(", ")})
    AND id > ?1 AND id <= last.id
) AS rewrote
FROM (SELECT max(coalesce((SELECT max(id) FROM interactions), 0), coalesce((SELECT max(id) FROM events), 0)) AS id) AS last`;

/**
 * One tenant's file opened for reading only (`query_only`; never migrated, never written),
 * inside one read transaction, so the interactions and the dimensions come from one snapshot.
 */
export class TenantReader {
  private constructor(
    private readonly sqlite: Database,
    private readonly counter: number,
  ) {}

  /** Throws (SchemaBehindError…) when the file is not at this build's schema or belongs to another tenant. */
  static open(dataDir: string, tenant: Tenant): TenantReader {
    const sqlite = openReadOnlyDatabase(join(dataDir, tenant.file));
    try {
      requireCurrentSchema(sqlite, loadMigrations(TENANT_MIGRATIONS));
      sqlite.run("BEGIN");
      // The first read fixes the snapshot: the owner and the change counter come from it.
      const state = sqlite.query("SELECT tenant_id, change_counter FROM shard_state WHERE id = 1").get() as
        | { tenant_id: string; change_counter: number }
        | undefined;
      if (state?.tenant_id !== tenant.id)
        throw new Error(
          `the file ${tenant.file} belongs to another workspace (${state?.tenant_id ?? "none"})`,
        );
      return new TenantReader(sqlite, state.change_counter);
    } catch (error) {
      sqlite.close();
      throw error;
    }
  }

  /** The file's change counter: every write transaction bumps it (tenancy/schema.ts). */
  changeCounter(): number {
    return this.counter;
  }

  /**
   * What the dimension snapshots would be taken from: the schema's version, then each
   * dimension's mark (a random value that every change of a column it holds replaces, in the
   * same transaction; tenant migration 0012), in DIMENSIONS' order, as
   * `<migrations>.<schema cookie>:<mark>.<mark>…`. Undefined when a mark's trigger is missing (a later table
   * rebuild that dropped it): then no mark can be trusted.
   */
  marks(): string | undefined {
    const { n, cookie } = this.sqlite.query(MARK_TRIGGERS_SQL).get() as { n: number; cookie: number };
    if (n !== MARK_TRIGGERS.length) return undefined;
    const rows = this.sqlite.query("SELECT name, mark FROM export_marks").values() as [string, string][];
    const marks = new Map(rows);
    const each = DIMENSIONS.map((d) => marks.get(d.source));
    if (each.some((mark) => typeof mark !== "string" || !/^[0-9a-f]+$/.test(mark))) return undefined;
    // The schema's cookie moves with every change of the schema (a migration, a trigger dropped
    // and made again by hand): the marks of another schema say nothing about this one's rows.
    return `${loadMigrations(TENANT_MIGRATIONS).length}.${cookie}:${each.join(".")}`;
  }

  /**
   * The log's last id, over interactions and events both (the export's next watermark), and
   * whether an interaction after `since` (up to that id) rewrote history.
   */
  logEnd(since: number): { maxId: number; rewrote: boolean } {
    const row = this.sqlite.query(LOG_END_SQL).get(since) as { id: number; rewrote: number };
    return { maxId: row.id, rewrote: row.rewrote === 1 };
  }

  /**
   * The fingerprint of the log's row `id` (interactions or events): a hash of its id, time,
   * kind and subject; undefined when no row has it. The manifest keeps the one of the row at
   * the watermark: a file put back from a backup and given new rows past the watermark holds
   * another row there, or none.
   */
  rowMark(id: number): string | undefined {
    const row = this.sqlite
      .query(
        "SELECT id, occurred_at, kind, subject_type, subject_id FROM interactions WHERE id = ?1 UNION ALL SELECT id, occurred_at, kind, 'contact', contact_id FROM events WHERE id = ?1 LIMIT 1",
      )
      .values(id)[0];
    if (!row) return undefined;
    return createHash("sha256").update(JSON.stringify(row)).digest("hex").slice(0, 32);
  }

  /** Up to `limit` rows of the log (interactions and events) after `after` (up to `upTo`), as rows of the warehouse's columns. */
  interactions(after: number, upTo: number, limit: number): Row[] {
    return this.sqlite.query(INTERACTIONS_SQL).values(after, upTo, limit) as Row[];
  }

  rows(select: string): Row[] {
    return this.sqlite.query(select).values() as Row[];
  }

  close(): void {
    if (this.sqlite.inTransaction) this.sqlite.run("COMMIT");
    this.sqlite.close();
  }
}
