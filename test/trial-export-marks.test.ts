/**
 * A hostile trial of the analytics export's marks, read threads and coded texts: after changes
 * made as users, operators and attackers make them, then incremental exports, the warehouse
 * holds exactly the rows of a fresh export of the same files into an empty warehouse.
 * Defects found are kept as skipped tests ("DEFECT: …") that pass once fixed.
 */
import { Database } from "bun:sqlite";
import { afterAll, describe, expect, it } from "bun:test";
import {
  closeSync,
  copyFileSync,
  openSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { readManifest } from "../jobs/export/manifest.ts";
import { setWorkspaceTimeZone } from "../src/analytics/workspace-time-zone.ts";
import { changeRole, removeUser } from "../src/auth/manage-users.ts";
import { SYSTEM_ACTOR } from "../src/identity/viewer.ts";
import { erasePerson } from "../src/privacy/erase-person.ts";
import { CLI, crm, listed, query, seedWorkspaces, warehouseContents } from "./analytics-export.fixture.ts";
import { waitForTask } from "./support/background-task.ts";
import { importIdOf, upload } from "./support/import-upload.ts";
import { FAST_HASHING, startServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

const dirs: ReturnType<typeof tempDir>[] = [];
afterAll(() => {
  for (const dir of dirs) dir.remove();
});

interface Setup {
  data: string;
  warehouse: string;
  files: Map<string, string>;
  ids: Map<string, string>;
}

async function setup(slugs: string[], contacts = 10): Promise<Setup> {
  const dir = tempDir("crm-trial-marks-");
  dirs.push(dir);
  await seedWorkspaces(
    dir.path,
    slugs.map((slug) => ({ slug, contacts })),
  );
  const data = new DataDir(dir.path);
  const files = new Map<string, string>();
  const ids = new Map<string, string>();
  for (const slug of slugs) {
    const tenant = data.get(slug);
    files.set(slug, join(dir.path, tenant.file));
    ids.set(slug, tenant.id);
  }
  data.close();
  return { data: dir.path, warehouse: join(dir.path, "warehouse"), files, ids };
}

async function exportTo(s: Setup, target = s.warehouse) {
  return await crm(s.data, ["analytics", "export", "--warehouse", target]);
}

async function exportOk(s: Setup, target = s.warehouse): Promise<void> {
  const result = await exportTo(s, target);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
}

/** The warehouse equals a fresh export of the same data directory into an empty warehouse. */
async function expectFresh(s: Setup): Promise<void> {
  const fresh = join(s.data, `fresh-${Date.now()}`);
  await exportOk(s, fresh);
  const [now, clean] = [await warehouseContents(s.warehouse), await warehouseContents(fresh)];
  rmSync(fresh, { recursive: true, force: true });
  expect(now).toEqual(clean);
}

/** Raw SQL on a workspace's file, as an operator with sqlite3 (no change counter moves). */
function sql(file: string, text: string): void {
  const db = new Database(file);
  try {
    db.run("PRAGMA busy_timeout = 5000");
    db.run(text);
  } finally {
    db.close();
  }
}

function value(file: string, text: string): unknown {
  const db = new Database(file, { readonly: true });
  try {
    // Read while a server or its workers may be writing the file (an import's log entries):
    // wait on a lock held for a moment, as the app's readers do, rather than fail the read.
    db.run("PRAGMA busy_timeout = 5000");
    return Object.values(db.query(text).get() as Record<string, unknown>)[0];
  } finally {
    db.close();
  }
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

async function warehouseRows(s: Setup, table: string, where: string): Promise<Record<string, unknown>[]> {
  const files = listed(s.warehouse, table).map((f) => literal(join(s.warehouse, f)));
  expect(files.length > 0).toBe(true);
  return await query(
    `SELECT * EXCLUDE (tenant) FROM read_parquet([${files.join(", ")}], hive_partitioning = false) WHERE ${where} ORDER BY ALL`,
  );
}

describe("trial: the export's marks", () => {
  it("a change by hand after a mark's trigger was dropped (no change counter moved) reaches the warehouse", async () => {
    // Found by this trial: with a trigger missing the export trusted the change counter, which
    // only the app's writes move. A file whose marks cannot be trusted now has every snapshot
    // retaken at every export (e1a704a).
    const s = await setup(["alpha"]);
    const file = s.files.get("alpha") as string;
    await exportOk(s);
    sql(file, "DROP TRIGGER contacts_export_mark_after_update");
    sql(
      file,
      "UPDATE contacts SET owner_id = NULL, email = 'fixed@example.test' WHERE id = (SELECT min(id) FROM contacts)",
    );
    await exportOk(s);
    await expectFresh(s);
  });

  it("a trigger dropped, a change by hand, the trigger created again: the change reaches the warehouse", async () => {
    // Found by this trial: the marks had not moved and the trigger set was whole again, so the
    // export trusted them. The schema's cookie (moved by DROP/CREATE TRIGGER) is now part of the
    // marks (e1a704a).
    const s = await setup(["alpha"]);
    const file = s.files.get("alpha") as string;
    await exportOk(s);
    const create = value(
      file,
      "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'deals_export_mark_after_update'",
    ) as string;
    sql(file, "DROP TRIGGER deals_export_mark_after_update");
    sql(file, "UPDATE deals SET amount_cents = 123456789 WHERE id = (SELECT min(id) FROM deals)");
    sql(file, create);
    await exportOk(s);
    await expectFresh(s);
  });

  it("a file put back from a backup, then more activity past the warehouse's watermark: the warehouse is rebuilt", async () => {
    // Found: a restored file was recognised only while its last id was behind the watermark; now
    // the manifest keeps a fingerprint of the row at the watermark, and a file whose row there
    // differs is exported again from zero.
    const s = await setup(["alpha"]);
    const file = s.files.get("alpha") as string;
    await exportOk(s);
    const backup = join(s.data, "alpha.backup.sqlite");
    const made = await crm(s.data, ["backup", "--tenant", "alpha", "--out", backup]);
    expect(made.code).toBe(0);
    const addCalls = (n: number, kind: string) =>
      sql(
        file,
        `WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ${n}) INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload) SELECT 1768500000000 + i, 'system', NULL, '${kind}', 'contact', (SELECT min(id) FROM contacts), '{}' FROM k`,
      );
    addCalls(5, "call");
    await exportOk(s);
    for (const suffix of ["-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
    copyFileSync(backup, file);
    // The restored timeline goes on past the old watermark before the next export.
    addCalls(8, "email");
    await exportOk(s);
    await expectFresh(s);
  });
});

/** Damages the b-tree of `table` in a workspace's file (its root page overwritten), the rest intact. */
function damageTable(file: string, table: string): void {
  sql(file, "PRAGMA wal_checkpoint(TRUNCATE)");
  const root = Number(
    value(file, `SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = '${table}'`),
  );
  const pageSize = Number(value(file, "PRAGMA page_size"));
  expect(root > 1 && statSync(file).size >= root * pageSize).toBe(true);
  const fd = openSync(file, "r+");
  try {
    writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, (root - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
}

describe("trial: a workspace file the export cannot read", () => {
  it("a file damaged past its header is skipped and named; the other workspaces are exported", async () => {
    // Found: a read failing after the file opened (SQLITE_CORRUPT) stopped the whole export; now it
    // is skipped as an unreadable file, its entry and rows kept.
    const s = await setup(["alpha", "beta"]);
    damageTable(s.files.get("beta") as string, "interactions");
    const result = await exportTo(s);
    expect({ code: result.code, skipped: result.stderr.includes("skipped beta") }).toEqual({
      code: 0,
      skipped: true,
    });
    const manifest = readManifest(s.warehouse);
    expect(Object.keys(manifest?.tenants ?? {})).toEqual([s.ids.get("alpha") as string]);
  });

  it("a file cut short (truncated) is skipped and named; the other workspaces are exported", async () => {
    const s = await setup(["alpha", "beta"], 40);
    const file = s.files.get("beta") as string;
    sql(file, "PRAGMA wal_checkpoint(TRUNCATE)");
    truncateSync(file, Math.floor(statSync(file).size * 0.6));
    const result = await exportTo(s);
    expect({ code: result.code, skipped: result.stderr.includes("skipped beta") }).toEqual({
      code: 0,
      skipped: true,
    });
    expect(Object.keys(readManifest(s.warehouse)?.tenants ?? {})).toEqual([s.ids.get("alpha") as string]);
  });

  it("a file locked by another process is skipped and named; the other workspaces are exported, and it is at the next export", async () => {
    const s = await setup(["alpha", "beta"]);
    const holder = new Database(s.files.get("beta") as string);
    holder.run("PRAGMA locking_mode = EXCLUSIVE");
    holder.run("BEGIN EXCLUSIVE");
    holder.run("UPDATE shard_state SET change_counter = change_counter + 1");
    let result: Awaited<ReturnType<typeof exportTo>>;
    try {
      result = await exportTo(s);
    } finally {
      holder.run("COMMIT");
      holder.close();
    }
    expect({ code: result.code, skipped: result.stderr.includes("skipped beta") }).toEqual({
      code: 0,
      skipped: true,
    });
    expect(Object.keys(readManifest(s.warehouse)?.tenants ?? {})).toEqual([s.ids.get("alpha") as string]);
    await exportOk(s);
    await expectFresh(s);
  });
});

describe("trial: hostile values", () => {
  const HOSTILE = [
    'it\'s "quoted" ünïcödé 🎉',
    "x".repeat(20_000),
    "NULL",
    "'); DROP TABLE staged_interactions; --",
    "",
  ];

  it("texts of coded columns never seen before reach the warehouse as they are, and the export goes on", async () => {
    const s = await setup(["alpha", "beta"]);
    const file = s.files.get("alpha") as string;
    const db = new Database(file);
    const ids: number[] = [];
    for (const text of HOSTILE) {
      const row = db
        .query(
          "INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload) VALUES (1768500000000, ?1, NULL, ?1, ?1, 1, '{}') RETURNING id",
        )
        .get(text) as { id: number };
      ids.push(row.id);
    }
    // Currencies and stage names take any text (statuses, kinds and roles are CHECKed by the schema).
    db.query("UPDATE deals SET currency = ?1 WHERE id = (SELECT min(id) FROM deals)").run(
      HOSTILE[0] as string,
    );
    db.query("UPDATE stages SET name = ?1 WHERE id = (SELECT min(id) FROM stages)").run("a\u0000b");
    db.close();
    await exportOk(s);
    const rows = await warehouseRows(s, "interactions", `id IN (${ids.join(", ")})`);
    expect(rows.map((r) => r.kind).sort()).toEqual([...HOSTILE].sort());
    expect(rows.map((r) => r.actor_type).sort()).toEqual([...HOSTILE].sort());
    const deals = await warehouseRows(s, "deals", `currency = ${literal(HOSTILE[0] as string)}`);
    expect(deals).toHaveLength(1);
    const stages = await warehouseRows(s, "stages", "position = 0 AND name LIKE 'a%'");
    expect(stages.map((r) => r.name)).toEqual(["a\u0000b"]);
    await expectFresh(s);
  });

  it("a NUL in a coded text (a kind written by hand) does not stop the export of every workspace", async () => {
    // Found by this trial: the coded texts' dictionary was inlined in the COPY's SQL, where a NUL
    // ended the statement and stopped the export for every workspace (fixed in e1a704a).
    const s = await setup(["alpha", "beta"]);
    const db = new Database(s.files.get("alpha") as string);
    db.query(
      "INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload) VALUES (1768500000000, 'system', NULL, ?1, 'contact', 1, '{}')",
    ).run("a\u0000b");
    db.close();
    await exportOk(s);
    const rows = await warehouseRows(s, "interactions", "kind LIKE 'a%'");
    expect(rows.map((r) => r.kind)).toEqual(["a\u0000b"]);
  });

  it("texts that are not valid UTF-8 (bytes written by hand) do not stop the export", async () => {
    const s = await setup(["alpha", "beta"]);
    const file = s.files.get("alpha") as string;
    sql(
      file,
      "INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload) VALUES (1768500000000, 'system', NULL, CAST(x'61ff62c3' AS TEXT), 'contact', 1, '{}')",
    );
    sql(file, "UPDATE stages SET name = CAST(x'c328ff' AS TEXT) WHERE id = (SELECT min(id) FROM stages)");
    await exportOk(s);
    await exportOk(s);
    await expectFresh(s);
  });

  it("a stage position past 2^31 in one workspace does not stop the export of every workspace", async () => {
    // Found: one out-of-range INTEGER failed the whole export; now it is exported as null and named
    // on stderr.
    const s = await setup(["alpha", "beta"]);
    sql(
      s.files.get("alpha") as string,
      "UPDATE stages SET position = 3000000000 WHERE id = (SELECT min(id) FROM stages)",
    );
    const result = await exportTo(s);
    expect(result.code).toBe(0);
    expect(Object.keys(readManifest(s.warehouse)?.tenants ?? {}).length).toBeGreaterThan(0);
  });

  it("a timestamp out of DuckDB's range in one workspace does not stop the export of every workspace", async () => {
    // Found: a huge occurred_at failed the COPY for all; now a time outside 1900–9999 is exported
    // as null (row kept, day null) and named.
    const s = await setup(["alpha", "beta"]);
    sql(
      s.files.get("alpha") as string,
      "INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload) VALUES (9000000000000000000, 'system', NULL, 'call', 'contact', 1, '{}')",
    );
    const result = await exportTo(s);
    expect(result.code).toBe(0);
    expect(Object.keys(readManifest(s.warehouse)?.tenants ?? {}).length).toBeGreaterThan(0);
  });

  it("negative and null-like timestamps and ids up to 2^53 - 1 are exported exactly", async () => {
    const s = await setup(["alpha"]);
    const file = s.files.get("alpha") as string;
    sql(
      file,
      "INSERT INTO interactions (id, occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload) VALUES (9007199254740990, -86400001, 'system', 9007199254740991, 'call', 'contact', 9007199254740991, '{}')",
    );
    await exportOk(s);
    const rows = await warehouseRows(s, "interactions", "id = 9007199254740990");
    expect(rows.map((r) => [r.occurred_at, r.actor_id, r.subject_id])).toEqual([
      ["1969-12-30 23:59:59.999", "9007199254740991", "9007199254740991"],
    ]);
    await exportOk(s);
    await expectFresh(s);
  });

  it.skip("DEFECT: an interaction id past 2^53 neither loses its value nor makes every later export rebuild the warehouse", async () => {
    // DEFECT: ids are read as JS numbers and staged as DOUBLE (lossy past 2^53), and the watermark
    // written then fails readManifest's Number.isSafeInteger: every later export reports a
    // damaged manifest and rebuilds everything. manifest.ts readManifest, tenant-read.ts stagedNumber.
    const s = await setup(["alpha"]);
    sql(
      s.files.get("alpha") as string,
      "INSERT INTO interactions (id, occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload) VALUES (9007199254740993, 1768500000000, 'system', NULL, 'call', 'contact', 1, '{}')",
    );
    await exportOk(s);
    const rows = await warehouseRows(s, "interactions", "id > 9007199254740000");
    expect(rows.map((r) => r.id)).toEqual(["9007199254740993"]);
    await exportOk(s);
  });
});

describe("trial: a new warehouse key", () => {
  it("retakes every snapshot with the new key's hashes: equals a fresh export with that key", async () => {
    const s = await setup(["alpha"]);
    await exportOk(s);
    const other = { CRM_WAREHOUSE_KEY: "b".repeat(64) };
    const moved = await crm(s.data, ["analytics", "export", "--warehouse", s.warehouse], other);
    expect({ code: moved.code, stderr: moved.stderr }).toEqual({ code: 0, stderr: "" });
    const fresh = join(s.data, "fresh-key");
    const clean = await crm(s.data, ["analytics", "export", "--warehouse", fresh], other);
    expect(clean.code).toBe(0);
    expect(await warehouseContents(s.warehouse)).toEqual(await warehouseContents(fresh));
  });
});

describe("trial: every path the product offers", () => {
  it("changes through the API and the services (records, deals, stages, pipelines, links, bulk, merge, erasure, users, time zone) are all exported", async () => {
    const s = await setup(["alpha", "beta"], 12);
    const data = new DataDir(s.data);
    const server = await startServer({ dataDir: s.data });
    try {
      const call = api(server.url, await data.apiKey("alpha", "admin"));
      const T = "/t/alpha";
      const ok = async (method: string, path: string, body?: unknown) => {
        const response = await call(method, path, body);
        expect(
          `${method} ${path}: ${response.status < 300 ? "ok" : `${response.status} ${response.text}`}`,
        ).toBe(`${method} ${path}: ok`);
        return response.json;
      };
      const file = s.files.get("alpha") as string;
      const first = (table: string, offset = 0) =>
        Number(value(file, `SELECT id FROM ${table} ORDER BY id LIMIT 1 OFFSET ${offset}`));
      await exportOk(s);

      // Round 1: records and deals.
      const company = await ok("POST", `${T}/companies`, { name: "Trial Co" });
      const contact = await ok("POST", `${T}/contacts`, { firstName: "Tri", email: "tri@example.test" });
      await ok("PATCH", `${T}/contacts/${contact.id}`, { companyId: company.id, email: "tri2@example.test" });
      await ok("PATCH", `${T}/contacts/${first("contacts")}`, { ownerId: null });
      await ok("PATCH", `${T}/companies/${first("companies")}`, { ownerId: null });
      const pipelines = await ok("GET", `${T}/pipelines`);
      const sales = pipelines.data[0];
      const stages = sales.stages as { id: number; kind: string }[];
      const won = stages.find((st) => st.kind === "won")?.id;
      const lost = stages.find((st) => st.kind === "lost")?.id;
      const deal = await ok("POST", `${T}/deals`, {
        title: "Trial deal",
        amountCents: 4200,
        currency: "EUR",
        pipelineId: sales.id,
        stageId: stages[0]?.id,
        contactIds: [contact.id],
      });
      await ok("PATCH", `${T}/deals/${deal.id}`, { stageId: stages[1]?.id });
      const salesDeal = (n: number) =>
        Number(
          value(file, `SELECT id FROM deals WHERE pipeline_id = ${sales.id} ORDER BY id LIMIT 1 OFFSET ${n}`),
        );
      await ok("PATCH", `${T}/deals/${salesDeal(0)}`, { stageId: won, amountCents: 1, currency: "JPY" });
      await ok("PATCH", `${T}/deals/${salesDeal(1)}`, { stageId: lost, lostReason: "No budget" });
      await ok("PATCH", `${T}/deals/${deal.id}`, { contactIds: [] });
      await exportOk(s);
      await expectFresh(s);

      // Round 2: pipelines and stages, bulk actions.
      await ok("PATCH", `${T}/pipelines/${sales.id}`, { name: "Sales renamed" });
      await ok("PATCH", `${T}/stages/${stages[0]?.id}`, { name: "First", probability: 5 });
      await ok("PATCH", `${T}/stages/${stages[1]?.id}`, { position: 0 });
      await ok("POST", `${T}/pipelines/${sales.id}/stages`, { name: "Extra", probability: 60 });
      const extra = (await ok("GET", `${T}/pipelines/${sales.id}`)).stages.find(
        (st: { name: string }) => st.name === "Extra",
      );
      await ok("DELETE", `${T}/stages/${extra.id}`);
      await ok("POST", `${T}/deals/bulk`, { ids: [deal.id], action: "moveStage", stageId: stages[2]?.id });
      await ok("POST", `${T}/contacts/bulk`, {
        ids: [first("contacts", 2)],
        action: "setOwner",
        ownerId: first("users"),
      });
      await ok("POST", `${T}/companies/bulk`, { ids: [company.id], action: "delete" });
      await exportOk(s);
      await expectFresh(s);

      // Round 3: merge, erasure, users, time zone (services, as the pages call them).
      await ok("POST", `${T}/contacts/${first("contacts")}/merge`, { duplicateId: first("contacts", 1) });
      const tenant = data.get("alpha");
      await data.user("alpha", "second@alpha.test", "member");
      await data.user("alpha", "third@alpha.test", "member");
      await exportOk(s);
      await data.shards.use(tenant, (shard) => {
        changeRole(shard, SYSTEM_ACTOR, first("users", 1), { role: "read-only" });
        removeUser(shard, SYSTEM_ACTOR, first("users", 2));
        setWorkspaceTimeZone(shard, SYSTEM_ACTOR, { timeZone: "Pacific/Auckland" });
        erasePerson(shard, SYSTEM_ACTOR, first("contacts", 3));
      });
      await exportOk(s);
      await expectFresh(s);
    } finally {
      await server.stop();
      data.close();
    }
  });
});

/** Waits for `condition` with a deadline (no fixed sleep). */
async function waitFor(condition: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    expect(`${what}: ${Date.now() < deadline ? "waiting" : "timed out"}`).toBe(`${what}: waiting`);
    await Bun.sleep(5);
  }
}

/** Waits until `condition` holds (true) or the process has exited without it (false). */
async function reachedBeforeExit(
  condition: () => boolean,
  proc: { exitCode: number | null },
): Promise<boolean> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (condition()) return true;
    if (proc.exitCode !== null) return false;
    expect(Date.now() < deadline).toBe(true);
    await Bun.sleep(5);
  }
}

function spawnExport(s: Setup, env: Record<string, string> = {}) {
  return Bun.spawn([process.execPath, CLI, "analytics", "export", "--warehouse", s.warehouse], {
    env: { ...process.env, ...FAST_HASHING, CRM_DATA: s.data, CRM_ANALYTICS_THREADS: "2", ...env },
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
}

/** Any file under the warehouse's table folders whose name starts with `prefix`. */
function anyFile(warehouse: string, prefix: string): boolean {
  const glob = new Bun.Glob(`*/bucket=*/${prefix}*`);
  for (const _ of glob.scanSync({ cwd: warehouse, onlyFiles: true })) return true;
  return false;
}

describe("trial: exports stopped or run together", () => {
  it("the lock left by a killed export whose process id now belongs to another program does not block every later export", async () => {
    // Found: the lock trusted any live process with its pid; now it holds the pid and its start
    // time (a bare pid holds only while it runs the same program).
    const s = await setup(["alpha"]);
    await exportOk(s);
    const other = Bun.spawn(["sleep", "120"], { stdout: "ignore", stderr: "ignore" });
    try {
      writeFileSync(join(s.warehouse, "_state", "lock"), String(other.pid));
      await exportOk(s);
    } finally {
      other.kill(9);
    }
  });

  it("two exports at once: one refuses or both finish, and the warehouse equals a fresh export", async () => {
    const s = await setup(["alpha", "beta", "gamma"], 40);
    await exportOk(s);
    sql(
      s.files.get("alpha") as string,
      "UPDATE contacts SET email = 'both@example.test' WHERE id = (SELECT min(id) FROM contacts)",
    );
    const [a, b] = [spawnExport(s), spawnExport(s)];
    const codes = await Promise.all([a.exited, b.exited]);
    const errors = await Promise.all([new Response(a.stderr).text(), new Response(b.stderr).text()]);
    expect(codes.includes(0)).toBe(true);
    const refused = errors.filter((e) => e.includes("another export"));
    expect(codes.filter((c) => c !== 0).length).toBe(refused.length);
    await expectFresh(s);
  });

  for (const point of ["running", "staging", "renamed"] as const) {
    it(`killed (SIGKILL) while its read threads run (${point}), then run again: equals a clean run`, async () => {
      const s = await setup(["alpha", "beta", "gamma", "delta"], 60);
      await exportOk(s);
      sql(
        s.files.get("beta") as string,
        "UPDATE stages SET name = 'Killed' WHERE id = (SELECT min(id) FROM stages)",
      );
      const reached = {
        running: () => statSync(join(s.warehouse, "_state/running"), { throwIfNoEntry: false }) !== undefined,
        staging: () => anyFile(s.warehouse, "_tmp-"),
        renamed: () => anyNewPart(s),
      };
      // A point can pass between two looks (the renamed parts are listed a moment later): an
      // export that finished first is let be, and another is started over more new rows.
      let killed = false;
      for (let attempt = 0; attempt < 5 && !killed; attempt++) {
        for (const file of s.files.values())
          sql(
            file,
            "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 3000) INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload) SELECT 1768500000000 + i, 'system', NULL, 'call', 'contact', (SELECT min(id) FROM contacts), '{}' FROM k",
          );
        const proc = spawnExport(s, { CRM_ANALYTICS_THREADS: "1" });
        killed = await reachedBeforeExit(reached[point], proc);
        if (killed) proc.kill(9);
        await proc.exited;
      }
      expect(killed).toBe(true);
      await exportOk(s);
      await expectFresh(s);
    });
  }
});

/** A part file on disk that the manifest does not list yet. */
function anyNewPart(s: Setup): boolean {
  const listedNow = new Set(listed(s.warehouse, "interactions"));
  const glob = new Bun.Glob("interactions/bucket=*/part-*.parquet");
  for (const file of glob.scanSync({ cwd: s.warehouse, onlyFiles: true }))
    if (!listedNow.has(file)) return true;
  return false;
}

/** Retries while the workspace answers 503 (a server starting, a file being taken back). */
async function patiently<T extends { status: number }>(send: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 60_000;
  let response = await send();
  while (response.status === 503 && Date.now() < deadline) {
    await Bun.sleep(50);
    response = await send();
  }
  return response;
}

describe("trial: an import taken back after an export read part of it", () => {
  it("an import taken back (server killed mid-import, restarted) after an export read part of it: the warehouse equals a fresh export", async () => {
    const s = await setup(["alpha"], 5);
    await exportOk(s);
    let server = await startServer({ dataDir: s.data });
    try {
      const owner = await signIn(server.url, "alpha", "owner@alpha.test");
      const lines = ["First Name,Last Name,Email"];
      for (let i = 0; i < 60_000; i++) lines.push(`P${i},Q${i},p${i}@alpha.test`);
      const id = importIdOf(await upload(owner, "alpha", `${lines.join("\n")}\n`, { fileName: "big.csv" }));
      const page = await patiently(() => owner.get(`/t/alpha/imports/${id}`));
      const form = owner.forms(page.text).find((f) => f.action.endsWith(`/imports/${id}/mapping`));
      expect(form === undefined).toBe(false);
      const checked = await waitForTask(
        owner,
        (await patiently(() => owner.submit(form as NonNullable<typeof form>, {}))).headers.get("location"),
        120_000,
      );
      expect(checked.status).toBe("Done.");
      expect((await patiently(() => owner.post(`/t/alpha/imports/${id}/run`, {}))).status).toBe(303);
      const file = s.files.get("alpha") as string;
      const logged = () =>
        Number(value(file, "SELECT count(*) AS n FROM interactions WHERE kind LIKE 'contact.%'"));
      const start = logged();
      await waitFor(() => logged() > start + 500, "log entries of the import");
      await server.kill();
      // The nightly export runs now: it reads the import's entries written so far.
      await exportOk(s);
      server = await startServer({ dataDir: s.data });
      const again = await signIn(server.url, "alpha", "owner@alpha.test");
      const deadline = Date.now() + 120_000;
      let text = "";
      while (!text.includes("everything it wrote was taken back") && Date.now() < deadline) {
        text = (await patiently(() => again.get(`/t/alpha/imports/${id}`))).text;
        await Bun.sleep(50);
      }
      expect(text).toContain("everything it wrote was taken back");
    } finally {
      await server.stop();
    }
    await exportOk(s);
    await expectFresh(s);
  });
});

describe("trial: writes while the export reads", () => {
  it("changes committed while an export runs are in the next export: equals a fresh export", async () => {
    const s = await setup(["alpha", "beta", "gamma"], 60);
    await exportOk(s);
    const proc = spawnExport(s);
    let done = false;
    const exited = proc.exited.then((code) => {
      done = true;
      return code;
    });
    const dbs = [...s.files.values()].map((file) => {
      const db = new Database(file);
      db.run("PRAGMA busy_timeout = 5000");
      return db;
    });
    let writes = 0;
    try {
      while (!done || writes < 30) {
        const db = dbs[writes % dbs.length] as Database;
        db.transaction(() => {
          db.run(
            `UPDATE contacts SET email = 'w${writes}@example.test', updated_at = updated_at + 1 WHERE id = (SELECT min(id) + ${writes % 7} FROM contacts)`,
          );
          db.run(
            "INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload) SELECT 1768500000000, 'system', NULL, 'call', 'contact', min(id), '{}' FROM contacts",
          );
          db.run(`UPDATE deals SET amount_cents = ${writes} WHERE id = (SELECT min(id) FROM deals)`);
        })();
        writes++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      for (const db of dbs) db.close();
    }
    expect(await exited).toBe(0);
    await exportOk(s);
    await expectFresh(s);
  });
});
