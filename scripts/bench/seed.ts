/**
 * Benchmark: `crm seed --contacts N` (default 100,000) as a whole process, in a fresh data
 * directory each round, against a reference measured in the same run (these machines are
 * shared and noisy):
 *   reference  a Bun process inserting the same number of rows of the contacts table's width
 *              into a fresh WAL file with synchronous=FULL, in one transaction through one
 *              prepared statement: the floor for writing that many rows from Bun.
 * The seed does much more (companies, deals, tasks, notes, history, FTS, secondary indexes),
 * so the ratio says what all of that costs over a bare insert, and drifts when it changes.
 *
 * Usage: bun scripts/bench/seed.ts [--contacts N] [--rounds N]   (npm run bench:seed)
 * Prints each round and the medians. The seed's budget for 100,000 contacts is 10 s.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "./bench-server.ts";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    contacts: { type: "string", default: "100000" },
    rounds: { type: "string", default: "3" },
  },
  strict: true,
});
const contacts = Number(values.contacts);
const rounds = Number(values.rounds);
const BUDGET_SECONDS_PER_100K = 10;

const REFERENCE = `
import { Database } from "bun:sqlite";
const db = new Database(process.argv[1] + "/reference.sqlite", { create: true, strict: true });
db.run("PRAGMA journal_mode = WAL");
db.run("PRAGMA synchronous = FULL");
db.run("CREATE TABLE contacts (id INTEGER PRIMARY KEY, first_name TEXT, last_name TEXT, email TEXT, phone TEXT, title TEXT, company_id INTEGER, owner_id INTEGER, created_at INTEGER, updated_at INTEGER)");
const insert = db.prepare("INSERT INTO contacts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
db.transaction(() => {
  for (let i = 1; i <= Number(process.argv[2]); i++)
    insert.run(i, "First" + i, "Last" + i, "person" + i + "@example.com", "+1 555 0100", "Buyer", i % 997, 1, i, i);
})();
db.close();
`;

async function timed(argv: string[], env: Record<string, string> = {}): Promise<number> {
  const started = performance.now();
  const proc = Bun.spawn([process.execPath, ...argv], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdout: "ignore",
    stderr: "pipe",
  });
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  if (code !== 0) throw new Error(`${argv.join(" ")} exited with ${code}:\n${stderr}`);
  return (performance.now() - started) / 1000;
}

const seedRuns: number[] = [];
const referenceRuns: number[] = [];
for (let round = 0; round < rounds; round++) {
  const dir = mkdtempSync(join(tmpdir(), "crm-bench-seed-"));
  try {
    const env = { CRM_DATA: dir, CRM_ARGON2_MEMORY_KIB: "4096", CRM_ARGON2_TIME_COST: "1" };
    await timed(
      [
        "src/cli.ts",
        "tenants",
        "create",
        "seed-bench",
        "--owner-email",
        "bench@example.com",
        "--owner-password",
        "bench-password",
      ],
      env,
    );
    referenceRuns.push(await timed(["-e", REFERENCE, dir, String(contacts)]));
    seedRuns.push(
      await timed(["src/cli.ts", "seed", "--tenant", "seed-bench", "--contacts", String(contacts)], env),
    );
    console.error(
      `round ${round + 1}: seed ${seedRuns.at(-1)?.toFixed(2)} s, reference ${referenceRuns.at(-1)?.toFixed(2)} s`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const seed = median(seedRuns);
const reference = median(referenceRuns);
const budget = (BUDGET_SECONDS_PER_100K * contacts) / 100_000;
console.log(`crm seed --contacts ${contacts.toLocaleString("en-US")}, medians of ${rounds} rounds:`);
console.log(
  `  seed       ${seed.toFixed(2)} s  (budget ${budget.toFixed(1)} s: ${seed <= budget ? "within" : "OVER"})`,
);
console.log(`  reference  ${reference.toFixed(2)} s  (bare insert of the same number of rows)`);
console.log(`  ratio      ${(seed / reference).toFixed(1)}× the reference`);
