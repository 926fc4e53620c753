/**
 * The ways a service can read one row, measured on the same point lookup (a contact by id, in
 * a migrated tenant file of 10,000 contacts), as ADR 0006 describes them:
 *   shard.statement    raw SQL through bun:sqlite's query() cache: prepared once per open shard;
 *   prepare per call   sqlite.prepare() + finalize on every call: what the cache saves;
 *   drizzle prepared   a drizzle query built and .prepare()d once, then .get() with a placeholder;
 *   drizzle builder    db.select()…get() built on every call (its SQL still hits the query cache);
 *   drizzle prepare    the builder plus .prepare() on every call.
 * The five answers are checked to be the same row first. Prints the median µs per lookup over
 * the rounds, and each as a ratio of shard.statement measured in the same run.
 *
 * Usage: bun scripts/bench/query-styles.ts [--rounds N] [--iterations N]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { eq, sql } from "drizzle-orm";
import { contacts } from "../../src/contacts/schema.ts";
import { loadMigrations, migrateDatabase, TENANT_MIGRATIONS } from "../../src/tenancy/migrations.ts";
import { openDatabase } from "../../src/tenancy/open-database.ts";
import { Shard } from "../../src/tenancy/shard.ts";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "15" },
    iterations: { type: "string", default: "5000" },
  },
  strict: true,
});
const ROUNDS = Number(values.rounds);
const ITERATIONS = Number(values.iterations);
const CONTACTS = 10_000;

const dir = mkdtempSync(join(tmpdir(), "crm-query-styles-"));
try {
  const sqlite = openDatabase(join(dir, "bench.sqlite"), { create: true });
  migrateDatabase(sqlite, loadMigrations(TENANT_MIGRATIONS));
  const shard = new Shard({ id: "bench", slug: "bench" }, sqlite);
  shard.transaction(() => {
    const insert = shard.statement(
      "INSERT INTO contacts (first_name, last_name, email, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
    );
    for (let i = 1; i <= CONTACTS; i++)
      insert.run(`First${i}`, `Last${i}`, `p${i}@example.test`, "Buyer", i, i);
  });

  const SQL = `SELECT id, first_name AS firstName, last_name AS lastName, email, phone, title,
    company_id AS companyId, owner_id AS ownerId, tags, created_at AS createdAt, updated_at AS updatedAt
    FROM contacts WHERE id = ?`;
  const prepared = shard.db
    .select()
    .from(contacts)
    .where(eq(contacts.id, sql.placeholder("id")))
    .prepare();

  const styles: [string, (id: number) => unknown][] = [
    ["shard.statement", (id) => shard.statement(SQL).get(id)],
    [
      "prepare per call",
      (id) => {
        const statement = sqlite.prepare(SQL);
        try {
          return statement.get(id);
        } finally {
          statement.finalize();
        }
      },
    ],
    ["drizzle prepared", (id) => prepared.get({ id })],
    ["drizzle builder", (id) => shard.db.select().from(contacts).where(eq(contacts.id, id)).get()],
    [
      "drizzle prepare",
      (id) =>
        shard.db
          .select()
          .from(contacts)
          .where(eq(contacts.id, sql.placeholder("id")))
          .prepare()
          .get({ id }),
    ],
  ];

  // A workspace's ids start at a random offset (see the migrations): read them back.
  const ids = shard
    .statement("SELECT id FROM contacts ORDER BY id")
    .values()
    .map(([id]) => Number(id));
  const first = ids[0] ?? 0;
  const expected = JSON.stringify(styles[0]?.[1](first));
  for (const [name, read] of styles) {
    const row = JSON.stringify(read(first));
    if (row === "null" || row !== expected) throw new Error(`${name} reads another row: ${row}`);
  }

  const samples = new Map<string, number[]>(styles.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, read] of styles) {
      const start = performance.now();
      for (let i = 0; i < ITERATIONS; i++) read(ids[i % ids.length] ?? first);
      samples.get(name)?.push(((performance.now() - start) * 1000) / ITERATIONS);
    }
  }
  const reference = median(samples.get("shard.statement") ?? []);
  console.log(`point lookup, ${CONTACTS} contacts, median of ${ROUNDS} rounds × ${ITERATIONS}`);
  for (const [name] of styles) {
    const us = median(samples.get(name) ?? []);
    console.log(`  ${name.padEnd(18)} ${us.toFixed(2).padStart(7)} µs  ${(us / reference).toFixed(1)}×`);
  }
  console.log("reproduce: bun scripts/bench/query-styles.ts");
  shard.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
