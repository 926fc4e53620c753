import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { bucketFolder, bucketOf } from "../jobs/export/warehouse-layout.ts";
import { QueryRefusedError, runTenantQuery } from "../jobs/query/tenant-query.ts";
import { CLI, crm, seedWorkspaces } from "./analytics-export.fixture.ts";
import { FAST_HASHING } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

const dir = tempDir("crm-analytics-query-");
const warehouse = join(dir.path, "warehouse");
const ids = new Map<string, { id: string; file: string }>();

beforeAll(async () => {
  await seedWorkspaces(dir.path, [
    { slug: "alpha", contacts: 12 },
    { slug: "bravo", contacts: 9 },
  ]);
  const data = new DataDir(dir.path);
  for (const slug of ["alpha", "bravo"]) {
    const t = data.get(slug);
    ids.set(slug, { id: t.id, file: join(dir.path, t.file) });
  }
  data.close();
  const exported = await crm(dir.path, ["analytics", "export"]);
  if (exported.code !== 0) throw new Error(exported.stderr);
});
afterAll(() => dir.remove());

const tenant = (slug: string) => ids.get(slug) as { id: string; file: string };

function fromFile<T>(slug: string, sql: string): T[] {
  const db = new Database(tenant(slug).file, { readonly: true });
  try {
    return db.query(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** The query processes' own temp directory (TMPDIR), so what they leave there is theirs alone. */
const tmp = join(dir.path, "tmp");

/** `crm analytics query` with the script on stdin. */
function startQuery(slug: string, script: string, ...args: string[]) {
  mkdirSync(tmp, { recursive: true });
  return Bun.spawn([process.execPath, CLI, "analytics", "query", "--tenant", slug, "-", ...args], {
    env: { ...process.env, ...FAST_HASHING, CRM_DATA: dir.path, CRM_ANALYTICS_THREADS: "1", TMPDIR: tmp },
    stdin: new TextEncoder().encode(script),
    stdout: "pipe",
    stderr: "pipe",
  });
}

async function queryCli(slug: string, script: string, ...args: string[]) {
  const proc = startQuery(slug, script, ...args);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

const run = (slug: string, sql: string) =>
  runTenantQuery({ warehouse, tenantId: tenant(slug).id, sql, memory: "256MB", threads: 1 });

async function refusal(slug: string, sql: string): Promise<string> {
  try {
    await run(slug, sql);
  } catch (error) {
    expect(error).toBeInstanceOf(QueryRefusedError);
    return (error as Error).message;
  }
  throw new Error(`not refused: ${sql}`);
}

describe("crm analytics query", () => {
  it("runs an admin's SELECT over the workspace's slice only, as CSV when piped", async () => {
    const expected = fromFile<{ kind: string; n: number }>(
      "alpha",
      "SELECT kind, count(*) AS n FROM interactions GROUP BY kind ORDER BY kind",
    );
    expect(expected.length).toBeGreaterThan(4);
    const result = await queryCli(
      "alpha",
      "SELECT kind, count(*) AS n FROM interactions GROUP BY kind ORDER BY kind;\n",
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`kind,n\r\n${expected.map((r) => `${r.kind},${r.n}\r\n`).join("")}`);
  });

  it("gives each view the workspace's rows without the tenant column, and JSON or a table on request", async () => {
    const counts = fromFile<Record<string, number>>(
      "bravo",
      `SELECT (SELECT count(*) FROM interactions) AS interactions, (SELECT count(*) FROM contacts) AS contacts,
         (SELECT count(*) FROM deals) AS deals, (SELECT count(*) FROM stages) AS stages, (SELECT count(*) FROM users) AS users`,
    )[0];
    const sql = `SELECT (SELECT count(*) FROM interactions) AS interactions, (SELECT count(*) FROM contacts) AS contacts,
      (SELECT count(*) FROM deals) AS deals, (SELECT count(*) FROM stages) AS stages, (SELECT count(*) FROM users) AS users`;
    const json = await queryCli("bravo", sql, "--format", "json");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([counts]);
    const columns = await run(
      "bravo",
      "SELECT * FROM interactions, contacts, workspace, deal_contacts, pipelines, companies LIMIT 0",
    );
    expect(columns.columns.some((c) => c.startsWith("tenant"))).toBe(false);
    expect(columns.columns).toContain("day");
    const table = await queryCli("bravo", "SELECT time_zone FROM workspace", "--format", "table");
    expect(table.stdout).toBe("time_zone\n---------\nUTC\n(1 row)\n");
  });

  it("refuses COPY to a file, /etc/passwd and another workspace's files, with one line and exit 2", async () => {
    const target = join(dir.path, "stolen.csv");
    const copy = await queryCli("alpha", `COPY interactions TO '${target}'`);
    expect(copy).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "crm analytics query: refused: COPY is not allowed; a script only reads, with one SELECT (or WITH … SELECT)\n",
    });
    expect(existsSync(target)).toBe(false);
    const passwd = await queryCli("alpha", "SELECT * FROM read_csv('/etc/passwd', sep = ':')");
    expect(passwd.code).toBe(2);
    expect(passwd.stdout).toBe("");
    expect(passwd.stderr).toMatch(
      /^crm analytics query: refused: a script cannot read or write files, or another workspace's data \(Permission Error: .*\/etc\/passwd.*\)\n$/,
    );
    const other = await queryCli(
      "alpha",
      `SELECT count(*) FROM read_parquet('${warehouse}/interactions/${bucketFolder(bucketOf(tenant("bravo").id))}/*.parquet')`,
    );
    expect(other.code).toBe(2);
    expect(other.stderr).toStartWith(
      "crm analytics query: refused: a script cannot read or write files, or another workspace's data",
    );
  });

  it("refuses every statement but a query, and a query that reaches outside its tables", async () => {
    const notAllowed = (word: string) =>
      `refused: ${word} is not allowed; a script only reads, with one SELECT (or WITH … SELECT)`;
    const cases: [string, string][] = [
      [`ATTACH '${join(dir.path, "x.duckdb")}' AS x`, notAllowed("ATTACH")],
      ["INSTALL httpfs", notAllowed("INSTALL")],
      ["LOAD parquet", notAllowed("LOAD")],
      ["PRAGMA database_list", notAllowed("PRAGMA")],
      ["SET enable_external_access = true", notAllowed("SET")],
      ["RESET lock_configuration", notAllowed("RESET")],
      ["CREATE TABLE copy AS SELECT * FROM contacts", notAllowed("CREATE")],
      ["DROP TABLE contacts", notAllowed("DROP")],
      ["DELETE FROM contacts", notAllowed("DELETE")],
      ["  /* a comment */ -- another\n copy contacts to 'x.csv'", notAllowed("COPY")],
      ["WITH c AS (SELECT 1 AS id) INSERT INTO users SELECT * FROM users", notAllowed("INSERT")],
      ["SELECT 1; DROP TABLE contacts", "refused: a script is one statement, this one has 2"],
      ["", "the script is empty"],
    ];
    for (const [sql, message] of cases)
      expect({ sql, message: await refusal("alpha", sql) }).toEqual({ sql, message });
    for (const sql of [
      `SELECT * FROM read_text('${tenant("bravo").file}')`,
      "SELECT * FROM glob('/etc/*')",
      `SELECT * FROM read_parquet('${warehouse}/contacts/*/*.parquet')`,
    ])
      expect(await refusal("alpha", sql)).toStartWith(
        "refused: a script cannot read or write files, or another workspace's data",
      );
    // Nothing was written by any of them.
    expect(existsSync(join(dir.path, "x.duckdb"))).toBe(false);
    expect((await run("alpha", "SELECT current_setting('enable_external_access') AS e")).rows).toEqual([
      [false],
    ]);
  });

  it("reads the script from a file, and refuses an unknown workspace or format with exit 2", async () => {
    const script = join(dir.path, "kinds.sql");
    writeFileSync(
      script,
      "-- how many deals per status\nSELECT status, count(*) AS n FROM deals GROUP BY status ORDER BY status\n",
    );
    const result = await crm(dir.path, ["analytics", "query", "--tenant", "alpha", script]);
    expect(result.code).toBe(0);
    expect(result.stdout).toStartWith("status,n\r\n");
    const unknown = await crm(dir.path, ["analytics", "query", "--tenant", "nobody", script]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toStartWith(`crm analytics query: no workspace "nobody"`);
    const format = await crm(dir.path, [
      "analytics",
      "query",
      "--tenant",
      "alpha",
      script,
      "--format",
      "xml",
    ]);
    expect(format.code).toBe(2);
    expect(format.stderr).toStartWith('crm analytics query: --format must be csv, json or table, got "xml"');
  });
});

/** CPU seconds a process has used (utime + stime from /proc): work done, whatever the machine's speed. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

describe("crm analytics query and the host", () => {
  it("refuses a suspended workspace as the server does (it answers 404), exit 2, and runs it again once active", async () => {
    const data = new DataDir(dir.path);
    data.catalog.setStatus(tenant("bravo").id, "suspended");
    try {
      const refused = await queryCli("bravo", "SELECT count(*) AS n FROM contacts");
      expect(refused.code).toBe(2);
      expect(refused.stdout).toBe("");
      expect(refused.stderr).toStartWith(
        'crm analytics query: workspace "bravo" is suspended: its data is not served, here or on the server',
      );
    } finally {
      data.catalog.setStatus(tenant("bravo").id, "active");
      data.close();
    }
    const served = await queryCli("bravo", "SELECT count(*) AS n FROM contacts");
    expect(served).toEqual({ code: 0, stderr: "", stdout: "n\r\n9\r\n" });
  });

  it("shows a script no path of the host in DuckDB's settings, its folders or its errors", async () => {
    const hostPaths = [tmp, dir.path, homedir(), process.cwd(), "/tmp/", "/root"];
    const settings = await queryCli(
      "alpha",
      "SELECT name, value FROM duckdb_settings() ORDER BY name",
      "--format",
      "json",
    );
    expect(settings.code).toBe(0);
    const values = new Map(
      (JSON.parse(settings.stdout) as { name: string; value: string | null }[]).map((s) => [s.name, s.value]),
    );
    // The settings that name folders are there, holding nothing of the host.
    expect(values.get("temp_directory")).toBe("");
    expect(values.get("home_directory")).toBe("/nonexistent");
    expect(values.get("secret_directory")).toBe("/nonexistent");
    expect(values.get("extension_directory")).toBe("/nonexistent");
    const outputs = [settings.stdout];
    // Independent processes: started together, their outputs kept in order.
    const results = await Promise.all(
      [
        "SELECT current_setting('temp_directory') AS t, current_setting('home_directory') AS h, current_setting('allowed_directories') AS a",
        "SELECT * FROM duckdb_extensions()",
        "SELECT * FROM duckdb_secrets()",
        "SELECT * FROM duckdb_temporary_files()",
        "SELECT * FROM duckdb_databases()",
        "SELECT * FROM pragma_database_list",
      ].map((sql) => queryCli("alpha", sql)),
    );
    for (const result of results) outputs.push(result.stdout, result.stderr);
    // The extensions' folder is named in DuckDB's refusal: the one that does not exist.
    expect(outputs[4]).toStartWith(
      'crm analytics query: Permission Error: Cannot access directory "/nonexistent/',
    );
    for (const path of hostPaths)
      expect({ path, shown: outputs.join("\n").includes(path) }).toEqual({ path, shown: false });
  });

  it("leaves nothing in the temp directory when killed (SIGKILL) in the middle of a script", async () => {
    const proc = startQuery(
      "alpha",
      "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 1000000000) SELECT count(*) FROM r",
    );
    // DuckDB loaded, then a second of CPU into the script.
    await until(
      () => readFileSync(`/proc/${proc.pid}/maps`, "utf8").includes("duckdb"),
      30_000,
      "DuckDB to load",
    );
    const loaded = cpuSeconds(proc.pid);
    await until(() => cpuSeconds(proc.pid) > loaded + 1, 60_000, "the script to run");
    proc.kill("SIGKILL");
    expect(await proc.exited).not.toBe(0);
    expect(readdirSync(tmp)).toEqual([]);
    const next = await queryCli("alpha", "SELECT 1 AS one");
    expect(next).toEqual({ code: 0, stderr: "", stdout: "one\r\n1\r\n" });
    expect(readdirSync(tmp)).toEqual([]);
  }, 120_000);
});
