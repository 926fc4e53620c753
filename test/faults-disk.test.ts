import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir } from "./support/workspace.ts";

/**
 * A full disk, for real: the data directory is a small tmpfs, filled by a file beside the
 * workspaces. Mounting needs root (CAP_SYS_ADMIN); where the test cannot mount, it is skipped
 * and says why.
 */
const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const base = tempDir();
const mountPoint = join(base.path, "disk");
mkdirSync(mountPoint);
const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", mountPoint]).status === 0;
if (!mounted)
  console.warn("faults-disk: cannot mount a tmpfs here (needs root); the full-disk test is skipped");
const dataDir = join(mountPoint, "data");
const filler = join(mountPoint, "filler");
const keys: Record<string, string> = {};
let server: TestServer | undefined;

/** Writes `filler` until the file system refuses: the disk is then full to the last block. */
function fillDisk(): void {
  const fd = openSync(filler, "a");
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOSPC") throw error;
  } finally {
    closeSync(fd);
  }
  // The last partial block too.
  const small = openSync(filler, "a");
  try {
    for (;;) writeSync(small, Buffer.alloc(512, 1));
  } catch {
  } finally {
    closeSync(small);
  }
}

beforeAll(async () => {
  if (!mounted) return;
  const data = new DataDir(dataDir);
  for (const slug of ["full", "open", "closed"]) {
    await data.tenant(slug);
    keys[slug] = await data.apiKey(slug);
  }
  data.close();
  server = await startServer({ dataDir });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (mounted) spawnSync("umount", [mountPoint]);
  base.remove();
});

const note = (n: number) => ({ firstName: `Full${n}`, lastName: "x".repeat(50), title: "y".repeat(100) });

describe.skipIf(!mounted)("a full disk", () => {
  it("refuses writes with 507 and Retry-After, reports degraded, keeps reads, and recovers without a restart", async () => {
    const s = server as TestServer;
    const call = api(s.url, keys.full as string);
    expect((await call("POST", "/t/full/contacts", note(0))).status).toBe(201);
    expect((await api(s.url, keys.open as string)("GET", "/t/open/contacts")).status).toBe(200);
    fillDisk();
    // The WAL may have room for a few more frames: write until the first refusal.
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 1; i <= 400 && !refused; i++) {
      const response = await call("POST", "/t/full/contacts", note(i));
      statuses.push(response.status);
      if (response.status !== 201) refused = response;
    }
    expect(refused).toBeDefined();
    const answer = refused as Awaited<ReturnType<typeof call>>;
    expect(answer.status).toBe(507);
    expect(Number(answer.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(answer.headers.get("content-type")).toStartWith("application/problem+json");
    expect(answer.json).toMatchObject({ status: 507, title: "Insufficient Storage" });
    expect(answer.json.detail).toContain("disk is full");
    expect(statuses.filter((status) => status !== 201)).toEqual([507]);
    // Said once as what it is, with no 500 among the lines.
    await s.waitForLine((l) => l.msg === "disk full" && l.tenant === "full");

    const ready = await (await fetch(`${s.url}/readyz`)).json();
    expect(ready).toMatchObject({ status: "degraded", diskFull: { since: expect.any(Number) } });
    // Reading still works, in this workspace and another.
    expect((await call("GET", "/t/full/contacts?limit=5")).status).toBe(200);
    expect((await api(s.url, keys.open as string)("GET", "/t/open/contacts")).status).toBe(200);
    // A workspace not open yet cannot be: its -wal and -shm need room. Said as a full disk, not a 500.
    const closed = await api(s.url, keys.closed as string)("GET", "/t/closed/contacts");
    expect(closed.status).toBe(507);
    expect(closed.json.detail).toContain("disk is full");

    // Space freed: the same write succeeds, and /readyz is ready again, without a restart.
    rmSync(filler);
    expect((await call("POST", "/t/full/contacts", note(999))).status).toBe(201);
    expect(await (await fetch(`${s.url}/readyz`)).json()).toMatchObject({ status: "ready" });
    expect((await api(s.url, keys.closed as string)("GET", "/t/closed/contacts")).status).toBe(200);
    // No request was a 500 meanwhile.
    expect(s.lines.filter((l) => l.includes('"status":500') || l.includes("unhandled error"))).toEqual([]);
  }, 60_000);

  it("stops crm serve with one clear line when the disk is full at start-up", async () => {
    expect(await (server as TestServer).stop()).toBe(0);
    server = undefined;
    fillDisk();
    const proc = Bun.spawn([process.execPath, CLI, "serve", "--port", "0", "--data", dataDir], {
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, CRM_ACCESS_LOG: "false" },
    });
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toEqual([
      `crm serve: the disk holding ${dataDir} is full; free some space and start again`,
    ]);
  }, 60_000);
});
