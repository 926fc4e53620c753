import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { buildBinary, installBinary } from "./support/binary.ts";
import { BrowserClient } from "./support/browser-client.ts";
import { type CommandResult, runCommand } from "./support/run-command.ts";
import { FAST_HASHING, startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

/**
 * The binary an operator copies to a host (`npm run build:binary`), run from an empty
 * directory with neither node_modules nor Bun on the PATH: every command it needs works from
 * what is embedded in it (migrations, assets, job SQL, the worker threads' code, DuckDB).
 */

/** A PATH with the system's tools only: no bun, no node_modules/.bin. */
const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const PASSWORD = "binary-smoke-password";

let dir: ReturnType<typeof tempDir>;
let host: string;
let crm: string;

/** Runs the binary with `args` in the host's directory, its environment reduced to the system's. */
function run(args: string[]): Promise<CommandResult> {
  return runCommand([crm, ...args], { cwd: host, env: { PATH: SYSTEM_PATH, HOME: host, ...FAST_HASHING } });
}

beforeAll(async () => {
  dir = tempDir("crm-binary-");
  const built = join(dir.path, "build", "crm");
  await buildBinary(built);
  // The host: an empty directory holding only the binary, far from the repository's node_modules.
  host = join(dir.path, "host");
  mkdirSync(host);
  crm = join(host, "crm");
  installBinary(built, crm);
  rmSync(join(dir.path, "build"), { recursive: true, force: true });
}, 180_000);

afterAll(() => dir?.remove());

describe("the binary (npm run build:binary)", () => {
  it("lists its commands and refuses an unknown one, with no Bun and no node_modules", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("serve");
    expect(help.stdout).toContain("analytics run");
    const unknown = await run(["no-such-command"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "no-such-command"');
  });

  describe("serving a workspace from an empty directory", () => {
    let server: TestServer;
    let owner: BrowserClient;
    const slug = "binary-smoke";
    let brokenKey: string;
    let brokenFile: string;

    beforeAll(async () => {
      // A second workspace, with pages beyond its schema's for a test to damage.
      const data = new DataDir(join(host, "data"));
      const broken = await data.tenant("broken");
      brokenKey = await data.apiKey("broken");
      await data.shards.use(data.get("broken"), (shard) => {
        for (let i = 0; i < 200; i++)
          shard.sqlite.run("INSERT INTO tags (name) VALUES (?)", [`tag-${i}-${"x".repeat(200)}`]);
      });
      data.close();
      brokenFile = join(host, "data", broken.file);
      server = await startServer({
        command: [crm],
        cwd: host,
        dataDir: join(host, "data"),
        // Two processes: the supervisor starts the binary itself again for each.
        args: ["--procs", "2"],
        // No rate limits: the load test's requests all come from one address.
        env: {
          PATH: SYSTEM_PATH,
          HOME: host,
          CRM_WORKERS: "1",
          CRM_RATE_LIMIT_PER_ADDRESS: "0",
          CRM_RATE_LIMIT_PER_WORKSPACE: "0",
        },
      });
      owner = new BrowserClient(server.url);
      await owner.get("/signup");
      const signedUp = await owner.post("/signup", {
        name: "Binary Smoke <Co>",
        slug,
        ownerName: "Ops",
        ownerEmail: "ops@example.com",
        ownerPassword: PASSWORD,
      });
      expect(signedUp.status).toBe(303);
    }, 90_000);

    afterAll(async () => {
      await server?.stop();
    });

    it("serves the pages' assets embedded in it (htmx from its package, the app's own CSS)", async () => {
      const page = await owner.get(`/t/${slug}/contacts`);
      expect(page.status).toBe(200);
      const assets = [...page.text.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
      expect(assets.some((a) => a.startsWith("/assets/htmx.js?v="))).toBe(true);
      expect(assets.some((a) => a.startsWith("/assets/app.css?v="))).toBe(true);
      for (const asset of assets) {
        const response = await fetch(`${server.url}${asset.replaceAll("&amp;", "&")}`);
        expect({ asset, status: response.status }).toEqual({ asset, status: 200 });
        expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(100);
      }
    });

    it("creates a contact and shows it", async () => {
      const created = await owner.post(`/t/${slug}/contacts`, {
        firstName: "Ada",
        lastName: "Binary",
        email: "ada.binary@example.com",
      });
      expect(created.status).toBe(303);
      const list = await owner.get(`/t/${slug}/contacts?q=Binary`);
      expect(list.text).toContain("Ada Binary");
    });

    it("runs pool work in its worker threads (a report's charts)", async () => {
      const first = await owner.get(`/t/${slug}/reports`);
      expect(first.status).toBe(302);
      const report = await owner.get(first.headers.get("location") as string);
      expect(report.status).toBe(200);
      expect(report.text).toContain("<svg");
    });

    it("runs the analytics job (DuckDB from inside the binary) while serving, and the page shows it", async () => {
      const date = new Date().toISOString().slice(0, 10);
      const analytics = await run(["analytics", "run", "--date", date, "--data", join(host, "data")]);
      expect({ code: analytics.code, stderr: analytics.stderr }).toMatchObject({ code: 0 });
      const status = await run(["analytics", "status", "--data", join(host, "data")]);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(date);
      const insights = await owner.get(`/t/${slug}/reports/insights`);
      expect(insights.status).toBe(200);
      expect(insights.text).toContain(`Computed for ${date}`);
      expect(existsSync(join(host, "data", "warehouse"))).toBe(true);
    }, 120_000);

    it("seeds the workspace and load-tests it with a scenario it carries (wrk reads it from a copy on the disk)", async () => {
      // Records to open and deals to move, added by the binary's seed while the server runs.
      const seeded = await run(["seed", "--tenant", slug, "--contacts", "200", "--data", join(host, "data")]);
      expect({ code: seeded.code, stderr: seeded.stderr }).toMatchObject({ code: 0 });
      const json = join(dir.path, "loadtest.json");
      const load = await run([
        "loadtest",
        "--url",
        `${server.url}/t/${slug}`,
        "--scenario",
        "browse",
        "--duration",
        "2",
        "--connections",
        "1",
        "--users",
        `ops@example.com:${PASSWORD}`,
        "--json",
        json,
      ]);
      expect({ code: load.code, stderr: load.stderr }).toMatchObject({ code: 0 });
      const summary = await Bun.file(json).json();
      expect(summary.requests).toBeGreaterThan(0);
      expect(summary.errors.total).toBe(0);
    }, 60_000);

    it("checks a damaged workspace's file in its quick-check thread, and the check command finds it", async () => {
      // Every page after the schema's overwritten, while the server runs (it has not opened it yet).
      const fd = openSync(brokenFile, "r+");
      const size = statSync(brokenFile).size;
      writeSync(fd, Buffer.alloc(size - 4096, 0xa5), 0, size - 4096, 4096);
      closeSync(fd);
      const refused = await fetch(`${server.url}/api/v1/t/broken/contacts`, {
        headers: { authorization: `Bearer ${brokenKey}` },
      });
      expect(refused.status).toBe(503);
      const checked = await server.waitForLine(
        (l) => l.msg === "workspace quick_check" && l.slug === "broken",
      );
      expect(checked.ok).toBe(false);
      expect((checked.found as string[]).length).toBeGreaterThan(0);
      const check = await run(["tenants", "check", "broken", "--data", join(host, "data")]);
      expect(check.code).toBe(1);
      const healthy = await run(["tenants", "check", slug, "--data", join(host, "data")]);
      expect({ code: healthy.code, out: healthy.stdout + healthy.stderr }).toMatchObject({ code: 0 });
    });

    it("shows the group's dashboard to the host's operator (/ops from the loopback)", async () => {
      const ops = await fetch(`${server.url}/ops`);
      expect(ops.status).toBe(200);
      const text = await ops.text();
      expect(text).toContain("<svg");
      expect(text).toContain(slug);
    });

    it("stops cleanly on SIGTERM, every process", async () => {
      const code = await server.stop();
      expect(code).toBe(0);
    });
  });
});
