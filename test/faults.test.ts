import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import {
  closeSync,
  copyFileSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir } from "./support/workspace.ts";

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const dir = tempDir();
const keys: Record<string, string> = {};
const files: Record<string, string> = {};
let server: TestServer;

/** Runs `crm <args> --data <dir>` and returns its exit code and output. */
async function crm(...args: string[]) {
  const proc = Bun.spawn([process.execPath, CLI, ...args, "--data", dir.path], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

const ready = async () =>
  (await (await fetch(`${server.url}/readyz`)).json()) as {
    status: string;
    failedWorkspaces: { slug: string; failure: string; failedAt: number }[];
  };

/** A refusal of a write to a workspace taken out of service: 503, problem+json, Retry-After, nothing stored. */
function expectUnavailable(response: { status: number; headers: Headers; json: Record<string, unknown> }) {
  expect(response.status).toBe(503);
  expect(response.headers.get("content-type")).toStartWith("application/problem+json");
  expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(response.json).toMatchObject({ status: 503, title: "Workspace unavailable" });
}

const contact = (n: number) => ({ firstName: `Person${n}`, lastName: "Test" });

beforeAll(async () => {
  const data = new DataDir(dir.path);
  for (const slug of ["doomed", "swapped", "broken", "healthy", "vanished"]) {
    const tenant = await data.tenant(slug);
    keys[slug] = await data.apiKey(slug);
    files[slug] = join(dir.path, tenant.file);
  }
  // Enough rows that the file has pages beyond the schema's to damage.
  await data.shards.use(data.get("broken"), (shard) => {
    for (let i = 0; i < 200; i++)
      shard.sqlite.run("INSERT INTO tags (name) VALUES (?)", [`tag-${i}-${"x".repeat(200)}`]);
  });
  data.close();
  // The damaged workspace: every page after the first (the schema) overwritten, a backup kept.
  copyFileSync(files.broken as string, `${dir.path}/broken.backup`);
  const size = statSync(files.broken as string).size;
  const pageSize = 4096;
  const fd = openSync(files.broken as string, "r+");
  writeSync(fd, Buffer.alloc(size - pageSize, 0xa5), 0, size - pageSize, pageSize);
  closeSync(fd);
  server = await startServer({ dataDir: dir.path });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

describe("a workspace whose file is deleted under the running server", () => {
  it("refuses every write with 503 'workspace unavailable' instead of acknowledging it into the deleted file", async () => {
    const call = api(server.url, keys.doomed as string);
    expect((await call("POST", "/t/doomed/contacts", contact(0))).status).toBe(201);
    rmSync(files.doomed as string);
    const refused = [];
    for (let i = 1; i <= 5; i++) refused.push(await call("POST", "/t/doomed/contacts", contact(i)));
    expect(refused.map((r) => r.status)).toEqual([503, 503, 503, 503, 503]);
    for (const response of refused) expectUnavailable(response);
    expectUnavailable(await call("GET", "/t/doomed/contacts"));

    // Reported with its slug: the log, and /readyz (degraded, still serving the others).
    const line = await server.waitForLine((l) => l.msg === "workspace unavailable" && l.slug === "doomed");
    expect(line).toMatchObject({ level: "error", reason: expect.stringMatching(/deleted/) });
    const state = await ready();
    expect(state.status).toBe("degraded");
    expect(state.failedWorkspaces).toContainEqual({
      slug: "doomed",
      failure: expect.stringMatching(/deleted/),
      failedAt: expect.any(Number),
    });

    // A person in a browser gets a plain page saying so.
    const page = await fetch(`${server.url}/t/doomed/login`);
    expect(page.status).toBe(503);
    expect(page.headers.get("content-type")).toStartWith("text/html");
    expect(await page.text()).toContain("Workspace unavailable");

    // Another workspace is untouched.
    expect(
      (await api(server.url, keys.healthy as string)("POST", "/t/healthy/contacts", contact(9))).status,
    ).toBe(201);

    // The operator's check says why and keeps the mark: the file is still gone.
    const check = await crm("tenants", "check", "doomed");
    expect(check.code).toBe(1);
    expect(check.stderr).toContain("doomed is still unavailable");
    expectUnavailable(await call("POST", "/t/doomed/contacts", contact(6)));
  });
});

describe("a workspace whose file is gone before the server first opens it", () => {
  it("answers 503 and is marked failed as missing, not a 500 on every request", async () => {
    rmSync(files.vanished as string);
    const call = api(server.url, keys.vanished as string);
    expectUnavailable(await call("GET", "/t/vanished/contacts"));
    expectUnavailable(await call("POST", "/t/vanished/contacts", contact(1)));
    expect((await ready()).failedWorkspaces).toContainEqual({
      slug: "vanished",
      failure: expect.stringMatching(/missing/),
      failedAt: expect.any(Number),
    });
  });
});

describe("a workspace whose file is replaced by another file", () => {
  it("is taken out of service at its next request, and the file it was replaced by is not served under its name", async () => {
    const call = api(server.url, keys.swapped as string);
    expect((await call("POST", "/t/swapped/contacts", contact(0))).status).toBe(201);
    // Another workspace's file moved over it (a new inode at the same path), as a careless restore would.
    copyFileSync(files.healthy as string, `${files.swapped}.tmp`);
    renameSync(`${files.swapped}.tmp`, files.swapped as string);
    const refused = [];
    for (let i = 1; i <= 5; i++) refused.push(await call("POST", "/t/swapped/contacts", contact(i)));
    expect(refused.map((r) => r.status)).toEqual([503, 503, 503, 503, 503]);
    for (const response of refused) expectUnavailable(response);
    expect((await ready()).failedWorkspaces).toContainEqual({
      slug: "swapped",
      failure: expect.stringMatching(/replaced/),
      failedAt: expect.any(Number),
    });
    // The old file's WAL is set aside, so no one opening the path applies it to the new file.
    const left = readdirSync(join(dir.path, "tenants")).filter((f) =>
      files.swapped?.endsWith(f.split("-")[0] as string),
    );
    expect(left.filter((f) => !f.includes(".orphaned-"))).toEqual([basename(files.swapped as string)]);
    expect(left.some((f) => f.includes("-wal.orphaned-"))).toBe(true);
    // The file now there is another workspace's: the check refuses it too.
    const check = await crm("tenants", "check", "swapped");
    expect(check.code).toBe(1);
    expect(check.stderr).toContain("does not belong");
  });
});

describe("a workspace whose file is damaged", () => {
  it("answers 503 (never a 500) from its first request, is marked failed, and serves again once restored and checked", async () => {
    const call = api(server.url, keys.broken as string);
    const first = await call("GET", "/t/broken/contacts");
    expectUnavailable(first);
    const refused = [];
    for (let i = 1; i <= 5; i++) refused.push(await call("POST", "/t/broken/contacts", contact(i)));
    expect(refused.map((r) => r.status)).toEqual([503, 503, 503, 503, 503]);
    const line = await server.waitForLine((l) => l.msg === "workspace unavailable" && l.slug === "broken");
    expect(String(line.reason)).toMatch(/damaged|SQLITE_CORRUPT|SQLITE_NOTADB/);
    // SQLite's quick_check ran over the file off the server's thread, and said what it found.
    const checked = await server.waitForLine((l) => l.msg === "workspace quick_check" && l.slug === "broken");
    expect(checked.ok).toBe(false);
    expect((checked.found as string[]).length).toBeGreaterThan(0);
    expect(checked.found).not.toEqual(["ok"]);
    expect((await ready()).failedWorkspaces.map((w) => w.slug)).toContain("broken");
    // No request of another workspace failed meanwhile, and no 500 was logged for this one.
    expect(server.lines.filter((l) => l.includes('"status":500'))).toEqual([]);

    // Still damaged: the check finds it and the mark stays.
    const damaged = await crm("tenants", "check", "broken");
    expect(damaged.code).toBe(1);
    expectUnavailable(await call("GET", "/t/broken/contacts"));

    // The operator restores the backup and checks: the mark is cleared and the server serves it again.
    copyFileSync(`${dir.path}/broken.backup`, files.broken as string);
    // The mark holds until the check: a sound file is not served before an operator says so.
    expectUnavailable(await call("GET", "/t/broken/contacts"));
    const check = await crm("tenants", "check", "broken");
    expect(check).toMatchObject({ code: 0, stdout: expect.stringContaining("broken is sound again") });
    expect((await call("GET", "/t/broken/contacts")).status).toBe(200);
    expect((await call("POST", "/t/broken/contacts", contact(7))).status).toBe(201);
    expect((await ready()).failedWorkspaces.map((w) => w.slug)).not.toContain("broken");
  });
});

describe("after a restart", () => {
  it("keeps answering 503 for the workspaces still marked, and nothing refused was stored", async () => {
    expect(await server.stop()).toBe(0);
    server = await startServer({ dataDir: dir.path });
    expectUnavailable(await api(server.url, keys.doomed as string)("POST", "/t/doomed/contacts", contact(8)));
    const healthy = await api(server.url, keys.healthy as string)("GET", "/t/healthy/contacts?limit=100");
    expect(healthy.status).toBe(200);
    // healthy's own contact; the copies of its file made no row appear twice.
    expect(healthy.json.data.map((c: { firstName: string }) => c.firstName)).toEqual(["Person9"]);
  });
});
