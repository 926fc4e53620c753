import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserClient } from "./support/browser-client.ts";
import { FAST_HASHING, startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * `crm backup` and `crm export` as an admin runs them: a real process over the data directory
 * of a real server that keeps serving and writing the same workspace meanwhile. The backup is
 * a consistent copy holding every write acknowledged before it started; the export is the
 * list's (or segment's) "Export CSV" byte for byte; bad input is refused with a message, a
 * non-zero exit, and nothing written.
 */

const CLI = join(import.meta.dir, "..", "src", "cli.ts");
const dir = tempDir();
const outDir = tempDir();
let data: DataDir;
let server: TestServer;
let owner: BrowserClient;
let call: ReturnType<typeof api>;
const CONTACTS = 3_000;
/** Cells a spreadsheet would run as formulas, and what the CSV must hold instead. */
const HOSTILE = ["=SUM(A1:A9)", "+1 555", "-2+3", "@cmd", "\tTabbed", "\rReturned"];

interface Run {
  code: number;
  stdout: Uint8Array;
  stderr: string;
}

/** Runs `crm <args> --data <dir>` as its own process, as an admin would. */
async function crm(...args: string[]): Promise<Run> {
  const proc = Bun.spawn([process.execPath, CLI, ...args, "--data", dir.path], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).bytes(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

/** The bytes of a page's "Export CSV" link, as the signed-in owner downloads them. */
async function download(path: string): Promise<Uint8Array> {
  const response = await fetch(server.url + path, {
    headers: { cookie: `crm_session=${owner.cookie("crm_session")}` },
  });
  expect({ path, status: response.status }).toEqual({ path, status: 200 });
  return new Uint8Array(await response.arrayBuffer());
}

const out = (name: string) => join(outDir.path, name);
const files = () => readdirSync(outDir.path).sort();
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("acme");
  await data.tenant("other");
  const seeded = await crm(
    "seed",
    "--tenant",
    "acme",
    "--contacts",
    String(CONTACTS),
    "--deals",
    "300",
    "--interactions-per-contact",
    "1",
    "--seed",
    "4",
  );
  expect({ code: seeded.code, stderr: seeded.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  server = await startServer({ dataDir: dir.path, env: { ...FAST_HASHING, CRM_ACCESS_LOG: "false" } });
  owner = await signIn(server.url, "acme", "owner@acme.test");
  call = api(server.url, await data.apiKey("acme", "admin"));
  for (const [i, cell] of HOSTILE.entries()) {
    const created = await call("POST", "/t/acme/contacts", {
      firstName: cell.replace(/[\t\r]/g, ""),
      lastName: `Hostile${i}`,
      title: cell.replace(/[\t\r]/g, ""),
      tags: ["hostile"],
    });
    expect(created.status).toBe(201);
  }
  await data.shards.use(data.get("acme"), (s) =>
    s.transaction(() => {
      // A tab or carriage return first: the API refuses them in names, an import or an old row may hold them.
      s.statement("UPDATE contacts SET title = ? WHERE last_name = 'Hostile4'").run("\tTabbed");
      s.statement("UPDATE contacts SET title = ? WHERE last_name = 'Hostile5'").run("\rReturned");
    }),
  );
});

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
  outDir.remove();
});

describe("crm backup", () => {
  it("copies the workspace while the server writes to it: mode 0600, whole (integrity_check), every acknowledged write in it, secrets too", async () => {
    // A reader holding an older snapshot keeps every write after it in the write-ahead log (no
    // checkpoint can move them into the file): a copy of the file alone would miss them.
    const pin = new Database(join(dir.path, data.get("acme").file), { readonly: true });
    // The server is writing the file (and its pool checkpointing it): wait on a lock it holds
    // for a moment rather than fail to take the snapshot.
    pin.run("PRAGMA busy_timeout = 5000");
    pin.run("BEGIN");
    pin.query("SELECT count(*) FROM contacts").get();
    // One write after another through the server, each acknowledged (201) before the next.
    const acknowledged: number[] = [];
    const statuses: number[] = [];
    let writing = true;
    const writer = (async () => {
      for (let n = 0; writing || acknowledged.length < 5; n++) {
        const response = await call("POST", "/t/acme/contacts", { firstName: "Writer", lastName: `W${n}` });
        statuses.push(response.status);
        if (response.status === 201) acknowledged.push(response.json.id);
      }
    })();
    const deadline = performance.now() + 30_000;
    while (acknowledged.length < 5 && performance.now() < deadline) await Bun.sleep(5);
    const before = [...acknowledged];
    expect(before.length).toBeGreaterThanOrEqual(5);

    const run = await crm("backup", "--tenant", "acme", "--out", out("acme.sqlite"));
    const writtenDuring = acknowledged.length - before.length;
    writing = false;
    await writer;
    pin.run("COMMIT");
    pin.close();

    expect({ code: run.code, stdout: text(run.stdout) }).toEqual({ code: 0, stdout: "" });
    expect(run.stderr).toMatch(/backed up acme to .*acme\.sqlite: [\d.]+ MB, integrity ok; [\d,]+ contacts/);
    expect(files()).toEqual(["acme.sqlite"]);
    expect(statSync(out("acme.sqlite")).mode & 0o777).toBe(0o600);
    // The server kept taking writes while the copy was made.
    expect(statuses.every((s) => s === 201)).toBe(true);
    expect(writtenDuring).toBeGreaterThanOrEqual(0);

    const copy = new Database(out("acme.sqlite"), { readonly: true });
    try {
      expect(copy.query("PRAGMA integrity_check").values()).toEqual([["ok"]]);
      const writers = copy
        .query("SELECT id FROM contacts WHERE first_name = 'Writer' ORDER BY id")
        .values()
        .map(([id]) => Number(id));
      // One snapshot: the writes acknowledged before it started, then a run of the next ones in order.
      expect(writers.slice(0, before.length)).toEqual(before);
      expect(writers).toEqual(acknowledged.slice(0, writers.length));
      expect(copy.query("SELECT count(*) AS n FROM contacts WHERE last_name LIKE 'Hostile%'").get()).toEqual({
        n: HOSTILE.length,
      });
      // A backup is everything, unlike the owners' download: password hashes and API keys stay.
      expect(copy.query("SELECT count(*) AS n FROM users WHERE password_hash <> ''").get()).toEqual({ n: 1 });
      expect(copy.query("SELECT count(*) AS n FROM api_keys").get()).toEqual({ n: 1 });
    } finally {
      copy.close();
    }
    expect(readdirSync(outDir.path).filter((f) => f.endsWith("-wal") || f.endsWith("-shm"))).toEqual([]);
  });

  it("refuses an --out that exists, an unknown workspace, a missing --out or folder: a message, exit 2, nothing written", async () => {
    writeFileSync(out("taken.sqlite"), "keep me");
    const before = files();
    const cases = [
      {
        args: ["--tenant", "acme", "--out", out("taken.sqlite")],
        says: "taken.sqlite exists; choose another --out",
      },
      { args: ["--tenant", "nobody", "--out", out("new.sqlite")], says: 'no workspace "nobody"' },
      { args: ["--tenant", "acme"], says: "--out is required" },
      { args: ["--tenant", "acme", "--out", out("missing/x.sqlite")], says: "--out: no folder" },
    ];
    for (const { args, says } of cases) {
      const run = await crm("backup", ...args);
      expect({ args, code: run.code, says: run.stderr.includes(says), stdout: run.stdout.length }).toEqual({
        args,
        code: 2,
        says: true,
        stdout: 0,
      });
    }
    expect(files()).toEqual(before);
    expect(readFileSync(out("taken.sqlite"), "utf8")).toBe("keep me");
  });
});

describe("crm export", () => {
  it("writes each list to stdout, byte for byte its page's Export CSV (with --bom and --filter too), formulas neutralised", async () => {
    const cases = [
      { args: ["contacts"], page: "/t/acme/exports/contacts.csv" },
      { args: ["companies"], page: "/t/acme/exports/companies.csv" },
      { args: ["deals"], page: "/t/acme/exports/deals.csv" },
      { args: ["contacts", "--bom"], page: "/t/acme/exports/contacts.csv?bom=1" },
      {
        args: ["contacts", "--filter", "tag=hostile&sort=name&order=asc"],
        page: "/t/acme/exports/contacts.csv?tag=hostile&sort=name&order=asc",
      },
    ];
    for (const { args, page } of cases) {
      const run = await crm("export", "--tenant", "acme", ...args);
      expect({ args, code: run.code }).toEqual({ args, code: 0 });
      const expected = await download(page);
      expect({
        args,
        same: Buffer.from(run.stdout).equals(Buffer.from(expected)),
        bytes: run.stdout.length,
      }).toEqual({
        args,
        same: true,
        bytes: expected.length,
      });
      expect(run.stderr).toMatch(/exported [\d,]+ rows of acme /);
    }
    const contacts = await crm("export", "--tenant", "acme", "contacts");
    const csv = text(contacts.stdout);
    // A header, a line per contact (seeded, hostile, and the backup's writers), CRLF.
    const rows = await data.shards.use(
      data.get("acme"),
      (s) => (s.statement("SELECT count(*) AS n FROM contacts").get() as { n: number }).n,
    );
    expect(rows).toBeGreaterThan(CONTACTS);
    expect(csv.split("\r\n").length).toBe(rows + 2);
    for (const cell of ["'=SUM(A1:A9)", "'+1 555", "'-2+3", "'@cmd", "'\tTabbed", '"\'\rReturned"']) {
      expect({ cell, found: csv.includes(cell) }).toEqual({ cell, found: true });
    }
    expect(csv).not.toMatch(/(^|,)[=+@\t]/m);
    // UTF-8's byte-order mark, for Excel.
    expect([...(await crm("export", "--tenant", "acme", "contacts", "--bom")).stdout.slice(0, 3)]).toEqual([
      0xef, 0xbb, 0xbf,
    ]);
    expect([...contacts.stdout.slice(0, 3)]).not.toEqual([0xef, 0xbb, 0xbf]);
  });

  it("writes a saved segment's members, as its page's Export CSV", async () => {
    const created = await call("POST", "/t/acme/segments", {
      name: "Hostile ones",
      rules: [{ field: "tags", op: "contains", value: "hostile" }],
    });
    expect(created.status).toBe(201);
    const run = await crm("export", "--tenant", "acme", `segment:${created.json.id}`);
    expect(run.code).toBe(0);
    const expected = await download(`/t/acme/segments/exports/${created.json.id}.csv`);
    expect(text(run.stdout)).toBe(text(expected));
    expect(text(run.stdout).split("\r\n").length).toBe(HOSTILE.length + 2);
  });

  it("writes to --out FILE, readable by its owner only, nothing on stdout", async () => {
    const run = await crm("export", "--tenant", "acme", "deals", "--out", out("deals.csv"));
    expect({ code: run.code, stdout: run.stdout.length }).toEqual({ code: 0, stdout: 0 });
    expect(run.stderr).toContain(`to ${out("deals.csv")}`);
    expect(readFileSync(out("deals.csv"))).toEqual(Buffer.from(await download("/t/acme/exports/deals.csv")));
    expect(statSync(out("deals.csv")).mode & 0o777).toBe(0o600);
    expect(files().filter((f) => f.endsWith(".part"))).toEqual([]);
  });

  it("refuses an unknown workspace, list or segment, a bad filter, an --out that exists: a message, exit 2, nothing written", async () => {
    writeFileSync(out("taken.csv"), "keep me");
    const before = files();
    const cases = [
      { args: ["--tenant", "nobody", "contacts"], says: 'no workspace "nobody"' },
      {
        args: ["--tenant", "acme", "widgets"],
        says: '"widgets" is not contacts, companies, deals or segment:<id>',
      },
      { args: ["--tenant", "acme", "segment:999"], says: "no segment 999 in this workspace" },
      { args: ["--tenant", "other", "segment:1"], says: "no segment 1 in this workspace" },
      { args: ["--tenant", "acme", "contacts", "--filter", "sort=nonsense"], says: "--filter: " },
      {
        args: ["--tenant", "acme", "contacts", "--filter", "sort=cf.nope"],
        says: '"nope" is not a custom field of this workspace',
      },
      { args: ["--tenant", "acme", "contacts", "--out", out("taken.csv")], says: "taken.csv exists" },
      { args: ["--tenant", "acme", "contacts", "--out", out("no/such.csv")], says: "--out: no folder" },
      { args: ["--tenant", "acme"], says: "expected 1 argument(s), got 0" },
    ];
    for (const { args, says } of cases) {
      const run = await crm("export", ...args);
      expect({
        args,
        code: run.code,
        says: run.stderr.includes(says),
        stack: run.stderr.includes("    at "),
        stdout: run.stdout.length,
      }).toEqual({ args, code: 2, says: true, stack: false, stdout: 0 });
    }
    expect(files()).toEqual(before);
    expect(readFileSync(out("taken.csv"), "utf8")).toBe("keep me");
  });
});
