/**
 * Benchmark: what the spreadsheet-friendly exports cost (issue 11, item 9), in CPU time (the
 * wall clock on a shared machine says more about the neighbours). Over a workspace of
 * --contacts contacts (100,000, with the seed's deals, 2 logged interactions each and 3 contact
 * custom fields filled on every contact, in the Europe/Paris time zone), times in this process,
 * as a worker thread runs them: the contacts list's CSV (every row, drained) and the workspace's
 * CSV zip, for this checkout and, with --root, another one (a "before") in the same run, round
 * by round. Each checkout gets its own data directory made by its own seed (same seed, same
 * rows): a file at this checkout's schema is newer than an older build opens.
 *
 * Usage: bun scripts/bench/exports.ts [--data DIR] [--contacts N] [--root DIR] [--rounds N]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: join(tmpdir(), "crm-bench-exports") },
    contacts: { type: "string", default: "100000" },
    root: { type: "string" },
    rounds: { type: "string", default: "2" },
  },
  strict: true,
});
const contacts = Number(values.contacts);
const rounds = Number(values.rounds);

interface Checkout {
  name: string;
  listCsv(): number;
  zip(path: string): number;
  close(): void;
}

/** The checkout at `root`, over its own data directory (seeded by its own code the first time). */
async function open(root: string, name: string): Promise<Checkout> {
  const dataDir = `${values.data}-${name}`;
  const { BENCH, benchData } = await import(join(root, "scripts/bench/bench-data.ts"));
  await benchData(dataDir, contacts, { interactionsPerContact: 2 });
  const { Catalog } = await import(join(root, "src/tenancy/catalog.ts"));
  const { ShardManager } = await import(join(root, "src/tenancy/shard-manager.ts"));
  const { CONTACT_KIND } = await import(join(root, "src/contacts/contact-kind.ts"));
  const { listCsvChunks } = await import(join(root, "src/exports/export-list.ts"));
  const { writeWorkspaceCsvZip } = await import(join(root, "src/privacy/workspace-csv.ts"));
  const catalog = Catalog.open(dataDir);
  const shards = new ShardManager({ dataDir, maxOpen: 2 });
  const shard = shards.acquire(catalog.findBySlug(BENCH.slug));
  // The same SQL on either schema: a zone, and three custom fields with a value on every contact.
  const fields = (shard.statement("SELECT count(*) AS n FROM custom_fields").get() as { n: number }).n;
  if (fields === 0) {
    shard.sqlite.transaction(() => {
      shard.sqlite.run(
        "INSERT OR REPLACE INTO workspace_settings (key, value) VALUES ('time_zone', 'Europe/Paris')",
      );
      for (const [key, type, position] of [
        ["source", "text", 0],
        ["score", "number", 1],
        ["vip", "checkbox", 2],
      ] as const) {
        const id = (
          shard.sqlite
            .query(
              "INSERT INTO custom_fields (entity, key, label, type, position, created_at) VALUES ('contact', ?, ?, ?, ?, 0) RETURNING id",
            )
            .get(key, key.toUpperCase(), type, position) as { id: number }
        ).id;
        const value = type === "text" ? "'Web, \"organic\"'" : "NULL";
        const num = type === "number" ? "id % 100" : type === "checkbox" ? "id % 2" : "NULL";
        shard.sqlite.run(
          `INSERT INTO custom_values (field_id, record_id, text_value, num_value) SELECT ${id}, id, ${value}, ${num} FROM contacts`,
        );
      }
    })();
  }
  return {
    name,
    listCsv() {
      let chars = 0;
      for (const chunk of listCsvChunks(shard, CONTACT_KIND, {})) chars += chunk.length;
      return chars;
    },
    zip: (path) => writeWorkspaceCsvZip(shard, path),
    close() {
      shards.release(shard);
      shards.closeAll();
      catalog.close();
    },
  };
}

/** The CPU time `fn` takes in ms (this process's user + system): steadier than the wall clock on a busy machine. */
function time(fn: () => unknown): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

const checkouts = [await open(resolve(import.meta.dir, "../.."), "this")];
if (values.root) checkouts.push(await open(resolve(values.root), "root"));
const out = mkdtempSync(join(tmpdir(), "crm-bench-exports-out-"));
const figures = new Map<string, { list: number[]; zip: number[] }>();
try {
  for (let round = 0; round < rounds; round++) {
    for (const c of checkouts) {
      const f = figures.get(c.name) ?? { list: [], zip: [] };
      f.list.push(time(() => c.listCsv()));
      const path = join(out, `${c.name}-${round}.zip`);
      f.zip.push(time(() => c.zip(path)));
      rmSync(path, { force: true });
      figures.set(c.name, f);
    }
  }
} finally {
  for (const c of checkouts) c.close();
  rmSync(out, { recursive: true, force: true });
}

const mine = figures.get("this");
const theirs = figures.get("root");
const ms = (n: number) => `${n.toFixed(0)} ms`;
console.log(`exports over ${contacts.toLocaleString("en")} contacts, ${rounds} rounds (medians of CPU time)`);
if (mine) {
  const ratio = (a: number[], b?: number[]) =>
    b ? `  (${(median(a) / median(b)).toFixed(2)}x root: ${ms(median(b))})` : "";
  console.log(`contacts list CSV  ${ms(median(mine.list))}${ratio(mine.list, theirs?.list)}`);
  console.log(`workspace CSV zip  ${ms(median(mine.zip))}${ratio(mine.zip, theirs?.zip)}`);
}
console.log(
  `reproduce: bun scripts/bench/exports.ts --contacts ${contacts}${values.root ? " --root <before checkout>" : ""}`,
);
