import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { waitForTask } from "./support/background-task.ts";
import { buildBinary, installBinary } from "./support/binary.ts";
import { BrowserClient } from "./support/browser-client.ts";
import { importIdOf, upload } from "./support/import-upload.ts";
import { type CommandResult, runCommand } from "./support/run-command.ts";
import { FAST_HASHING, isAlive, startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";

/**
 * The binary as an operator uses it (`npm run build:binary`, copied alone to a host): every
 * command of README's table from a directory with neither Bun nor node_modules, started through
 * a symlink and from another directory, with the temporary directory elsewhere, with a `.env`
 * and a `bunfig.toml` lying about, a supervisor's child killed, the binary's file moved away.
 */

const SYSTEM_PATH = "/usr/bin:/bin";
const PASSWORD = "trial-binary-password";

let dir: ReturnType<typeof tempDir>;
/** The host's directory: the binary alone, and the data the commands write under ./data. */
let host: string;
let crm: string;
let built: string;

function hostEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: SYSTEM_PATH, HOME: host, TZ: "UTC", CRM_ANALYTICS_AT: "off", ...FAST_HASHING, ...extra };
}

/** Runs the binary (or `program`) in `cwd` (the host's directory) with the system's environment only. */
function run(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; program?: string } = {},
): Promise<CommandResult> {
  return runCommand([options.program ?? crm, ...args], {
    cwd: options.cwd ?? host,
    env: hostEnv(options.env),
  });
}

/** Like run, with `input` on stdin. */
function runWithInput(args: string[], input: string): Promise<CommandResult> {
  return runCommand([crm, ...args], { cwd: host, env: hostEnv(), input });
}

/** A command that must succeed: its output, or a failure showing what it said. */
async function ok(args: string[], options: Parameters<typeof run>[1] = {}): Promise<string> {
  const result = await run(args, options);
  expect({ args, code: result.code, stderr: result.stderr }).toMatchObject({ args, code: 0 });
  return result.stdout;
}

/** The id (file name) of a workspace, from `crm tenants list`. */
async function tenantId(slug: string, data = "data"): Promise<string> {
  const list = await ok(["tenants", "list", "--data", data]);
  const line = list.split("\n").find((l) => l.startsWith(`${slug} `));
  const id = line?.split(/\s+/)[2];
  if (!id) throw new Error(`no ${slug} in:\n${list}`);
  return id;
}

/** Reads every asset a page links to; returns each one's status. */
async function assetsOf(base: string, html: string): Promise<{ asset: string; status: number }[]> {
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
  const out = [];
  for (const asset of assets) {
    const response = await fetch(`${base}${asset.replaceAll("&amp;", "&")}`);
    const bytes = (await response.arrayBuffer()).byteLength;
    out.push({ asset, status: response.status > 0 && bytes > 50 ? response.status : 0 });
  }
  return out;
}

beforeAll(async () => {
  dir = tempDir("crm-trial-binary-");
  built = join(dir.path, "build", "crm");
  await buildBinary(built);
  host = join(dir.path, "host");
  mkdirSync(host);
  crm = join(host, "crm");
  installBinary(built, crm);
  // What happens to lie in an operator's directory: neither may be read by the binary.
  writeFileSync(join(host, ".env"), "CRM_DATA=./env-data\nCRM_PORT=1\nCRM_PROCS=7\n");
  writeFileSync(join(host, "bunfig.toml"), 'preload = ["./preload.ts"]\n[serve]\nport = 1\n');
  writeFileSync(
    join(host, "preload.ts"),
    `require("node:fs").writeFileSync(${JSON.stringify(join(host, "preloaded"))}, "yes");\n`,
  );
}, 180_000);

afterAll(() => dir?.remove());

describe("the binary on a host, command by command", () => {
  it("prints every command's --help, exit 0", async () => {
    const commands = [
      [],
      ["serve"],
      ["tenants", "create"],
      ["tenants", "list"],
      ["tenants", "check"],
      ["operators", "add"],
      ["operators", "list"],
      ["operators", "remove"],
      ["apikeys", "create"],
      ["seed"],
      ["migrate"],
      ["routes"],
      ["import"],
      ["export"],
      ["backup"],
      ["loadtest"],
      ["analytics"],
      ["analytics", "export"],
      ["analytics", "run"],
      ["analytics", "status"],
      ["analytics", "query"],
    ];
    const results = await Promise.all(commands.map((c) => run([...c, "--help"])));
    for (const [i, c] of commands.entries()) {
      const result = results[i] as CommandResult;
      expect({ c, code: result.code }).toEqual({ c, code: 0 });
      expect(result.stdout).toContain(`Usage: crm ${c.join(" ")}`.trimEnd());
    }
  });

  it("creates, lists, checks, keys, seeds, migrates and lists routes; never reading .env or bunfig.toml", async () => {
    expect(
      await ok(["tenants", "create", "acme", "--owner-email", "o@acme.test", "--owner-password", PASSWORD]),
    ).toContain("created workspace acme");
    // ./data, not the .env's CRM_DATA; and bunfig.toml's preload never ran.
    expect(existsSync(join(host, "data", "catalog.sqlite"))).toBe(true);
    expect(existsSync(join(host, "env-data"))).toBe(false);
    expect(existsSync(join(host, "preloaded"))).toBe(false);
    expect(await ok(["tenants", "list"])).toMatch(/^acme\s+active\s/m);
    expect(await ok(["tenants", "check", "acme"])).toContain("sound");
    expect(await ok(["apikeys", "create", "--tenant", "acme"])).toMatch(/^crm_\w+_[\w-]+\s*$/);
    expect(await ok(["seed", "--tenant", "acme", "--contacts", "200"])).toContain(
      "seeded acme: 200 contacts",
    );
    expect(await ok(["migrate"])).toContain("up to date");
    const routes = await ok(["routes"]);
    expect(routes).toContain("/t/:tenant/imports");
    expect(routes).toContain("/healthz");
    expect(existsSync(join(host, "preloaded"))).toBe(false);
  });

  it("adds, lists and removes an operator, the password read from stdin", async () => {
    const added = await runWithInput(
      ["operators", "add", "op@host.test", "--password-stdin"],
      "operator-password-1\n",
    );
    expect({ code: added.code, stderr: added.stderr }).toMatchObject({ code: 0 });
    expect(await ok(["operators", "list"])).toContain("op@host.test");
    await ok(["operators", "remove", "op@host.test"]);
    expect(await ok(["operators", "list"])).not.toContain("op@host.test");
  });

  it("imports a CSV file, exports it back, and backs up and restores a workspace as README says", async () => {
    writeFileSync(
      join(host, "people.csv"),
      'First name,Last name,Email,Tags\nZed,Importer,zed@example.com,vip\n"Quote, Person",Csv,q@example.com,\nBad,Row,not-an-email,\n',
    );
    const imported = await run(["import", "--tenant", "acme", "people.csv"]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain("2 created");
    expect(imported.stdout).toContain("1 rejected");
    const exported = await ok(["export", "--tenant", "acme", "contacts", "--filter", "q=Importer"]);
    expect(exported).toContain("Zed,Importer,zed@example.com");
    await ok(["export", "--tenant", "acme", "contacts", "--out", "all.csv"]);
    expect(readFileSync(join(host, "all.csv"), "utf8").split("\n").length).toBeGreaterThan(200);

    // Backup, a change after it, then the restore (server stopped): the change is gone.
    const backup = await run(["backup", "--tenant", "acme", "--out", "acme.bak"]);
    expect({ code: backup.code, said: backup.stdout + backup.stderr }).toMatchObject({ code: 0 });
    expect(backup.stdout + backup.stderr).toContain("integrity ok");
    expect((statSync(join(host, "acme.bak")).mode & 0o777).toString(8)).toBe("600");
    writeFileSync(join(host, "late.csv"), "First name,Last name,Email\nLate,Comer,late@example.com\n");
    await ok(["import", "--tenant", "acme", "late.csv"]);
    expect(await ok(["export", "--tenant", "acme", "contacts", "--filter", "q=Comer"])).toContain(
      "Late,Comer",
    );
    const file = join(host, "data", "tenants", `${await tenantId("acme")}.sqlite`);
    copyFileSync(join(host, "acme.bak"), file);
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
    expect(await ok(["tenants", "check", "acme"])).toContain("sound");
    expect(await ok(["export", "--tenant", "acme", "contacts", "--filter", "q=Comer"])).not.toContain(
      "Late,Comer",
    );
    expect(await ok(["export", "--tenant", "acme", "contacts", "--filter", "q=Importer"])).toContain(
      "Zed,Importer",
    );
  });

  it("exports, runs, shows and queries analytics (a file and stdin), unpacking DuckDB to TMPDIR", async () => {
    const tmp = join(dir.path, "elsewhere-tmp");
    mkdirSync(tmp);
    const env = { TMPDIR: tmp };
    expect(await ok(["analytics", "export"], { env })).toContain("exported");
    const date = new Date().toISOString().slice(0, 10);
    expect(await ok(["analytics", "run", "--date", date, "--skip-export"], { env })).toContain(
      `for ${date} succeeded`,
    );
    expect(await ok(["analytics", "status", "--usage"])).toContain("usage on");
    writeFileSync(join(host, "q.sql"), "select count(*) as n from interactions");
    const fromFile = await ok(["analytics", "query", "--tenant", "acme", "q.sql"], { env });
    expect(fromFile).toMatch(/^n\r?\n\d+\r?\n$/);
    const fromStdin = await runWithInput(
      ["analytics", "query", "--tenant", "acme", "-", "--format", "json"],
      "select count(*) as n from interactions",
    );
    expect({ code: fromStdin.code, stderr: fromStdin.stderr }).toMatchObject({ code: 0 });
    expect(JSON.parse(fromStdin.stdout)[0].n).toBe(Number(fromFile.split(/\r?\n/)[1]));
    // DuckDB's library went to TMPDIR, readable by its user only.
    const unpacked = readdirSync(tmp).filter((f) => f.endsWith(".so"));
    expect(unpacked.length).toBe(1);
    expect((statSync(join(tmp, unpacked[0] as string)).mode & 0o777).toString(8)).toBe("600");
    // A write is refused with one line, exit 2.
    const refused = await runWithInput(
      ["analytics", "query", "--tenant", "acme", "-"],
      "delete from interactions",
    );
    expect(refused.code).toBe(2);
  }, 60_000);

  it("two copies of the binary, each with its own data, run analytics at once over a fresh TMPDIR", async () => {
    const tmp = join(dir.path, "shared-tmp");
    mkdirSync(tmp);
    const other = join(dir.path, "other-host");
    mkdirSync(other);
    installBinary(built, join(other, "crm"));
    await ok(["tenants", "create", "beta", "--owner-email", "b@beta.test", "--owner-password", PASSWORD], {
      cwd: other,
      program: join(other, "crm"),
    });
    const [a, b] = await Promise.all([
      run(["analytics", "run", "--skip-export"], { env: { TMPDIR: tmp } }),
      run(["analytics", "run"], { cwd: other, program: join(other, "crm"), env: { TMPDIR: tmp } }),
    ]);
    expect({ code: a.code, stderr: a.stderr.slice(-500) }).toMatchObject({ code: 0 });
    expect({ code: b.code, stderr: b.stderr.slice(-500) }).toMatchObject({ code: 0 });
    // Each has its own ledger and workspaces.
    expect(await ok(["tenants", "list"], { cwd: other, program: join(other, "crm") })).not.toContain("acme");
    expect(await ok(["analytics", "status"], { cwd: other, program: join(other, "crm") })).toMatch(
      /^run 1 /m,
    );
  }, 60_000);

  it("analytics with TMPDIR pointing at a missing directory says so, not a stack trace about /$bunfs", async () => {
    const missing = join(dir.path, "no-such-tmp");
    const data = join(dir.path, "tmpdir-data");
    await ok([
      "tenants",
      "create",
      "tmpd",
      "--owner-email",
      "t@tmpd.test",
      "--owner-password",
      PASSWORD,
      "--data",
      data,
    ]);
    const result = await run(["analytics", "run", "--data", data], { env: { TMPDIR: missing } });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(missing);
    expect(result.stderr).not.toContain("$bunfs");
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it("a damaged copy of DuckDB's library left in TMPDIR (Bun reuses a copy of the right size) is named, with what to do, in one line", async () => {
    const tmp = join(dir.path, "damaged-tmp");
    mkdirSync(tmp);
    const data = join(dir.path, "damaged-data");
    await ok([
      "tenants",
      "create",
      "dmg",
      "--owner-email",
      "d@dmg.test",
      "--owner-password",
      PASSWORD,
      "--data",
      data,
    ]);
    await ok(["analytics", "run", "--data", data], { env: { TMPDIR: tmp } });
    const library = readdirSync(tmp).find((f) => f.endsWith(".so")) as string;
    // Same size, other bytes (a bad disk block, a partial restore of /tmp, a stray write).
    writeFileSync(join(tmp, library), new Uint8Array(statSync(join(tmp, library)).size));
    // Bun reuses a copy whose size and owner match: the run cannot heal it, but says what to delete.
    const again = await run(["analytics", "run", "--data", data], { env: { TMPDIR: tmp } });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(join(tmp, ".bun-*.so"));
    expect(again.stderr).toContain("deleted");
    expect(again.stderr).not.toMatch(/^\s+at /m);
    // Once it is deleted, the next run unpacks a sound copy and succeeds.
    rmSync(join(tmp, library));
    await ok(["analytics", "run", "--data", data], { env: { TMPDIR: tmp } });
  });

  it("refuses a port another process holds, exit 1, with one line", async () => {
    const holder = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      for (const procs of ["1", "2"]) {
        const result = await run(["serve", "--port", String(holder.port), "--procs", procs]);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`cannot listen on 127.0.0.1:${holder.port}`);
      }
    } finally {
      holder.stop(true);
    }
  });
});

describe("serve --procs 2 through a symlink, from another directory, with a relative --data", () => {
  let server: TestServer;
  let owner: BrowserClient;
  let elsewhere: string;
  const slug = "trial";

  beforeAll(async () => {
    elsewhere = join(dir.path, "elsewhere");
    mkdirSync(join(elsewhere, "bin"), { recursive: true });
    symlinkSync(crm, join(elsewhere, "bin", "crm"));
    // Were it read, the .env would silence the access log (and point at another data directory).
    writeFileSync(join(elsewhere, ".env"), "CRM_DATA=./env-data\nCRM_ACCESS_LOG=false\n");
    writeFileSync(join(elsewhere, "bunfig.toml"), 'preload = ["./preload.ts"]\n');
    writeFileSync(
      join(elsewhere, "preload.ts"),
      `require("node:fs").writeFileSync(${JSON.stringify(join(elsewhere, "preloaded"))}, "yes");\n`,
    );
    server = await startServer({
      command: [join(elsewhere, "bin", "crm")],
      cwd: elsewhere,
      dataDir: "reldata",
      args: ["--procs", "2"],
      env: { ...hostEnv(), CRM_WORKERS: "1", CRM_PROCS: "2" },
    });
    await server.waitForLine((l) => l.msg === "group listening");
    owner = new BrowserClient(server.url);
    await owner.get("/signup");
    const signedUp = await owner.post("/signup", {
      name: "Trial Co",
      slug,
      ownerName: "Ops",
      ownerEmail: "ops@trial.test",
      ownerPassword: PASSWORD,
    });
    expect(signedUp.status).toBe(303);
  }, 60_000);

  afterAll(async () => {
    if (server && isAlive(server.pid)) await server.stop();
  });

  it("keeps its data under the relative --data of its working directory, and read no .env or bunfig.toml", async () => {
    expect(existsSync(join(elsewhere, "reldata", "catalog.sqlite"))).toBe(true);
    expect(existsSync(join(elsewhere, "env-data"))).toBe(false);
    expect(existsSync(join(elsewhere, "preloaded"))).toBe(false);
    // The processes log requests: none read the .env's CRM_ACCESS_LOG=false. (Log lines reach
    // stdout in batches, within 100 ms: waited for, not read at once.)
    await server.waitForLine((l) => l.msg === "request", 5_000);
    const loggers = new Set(
      server.lines
        .filter((l) => l.includes('"msg":"request"'))
        .map((l) => (JSON.parse(l) as { pid: number }).pid),
    );
    expect(loggers.size).toBeGreaterThanOrEqual(1);
  });

  it("serves every page's assets, and its error pages with theirs", async () => {
    const stranger = new BrowserClient(server.url);
    for (const path of [
      "/signup",
      `/t/${slug}/login`,
      `/t/${slug}/contacts`,
      `/t/${slug}/privacy`,
      `/t/${slug}/imports`,
    ]) {
      const page = await (path.startsWith("/t/") && !path.endsWith("/login") ? owner : stranger).get(path);
      expect({ path, status: page.status }).toEqual({ path, status: 200 });
      const assets = await assetsOf(server.url, page.text);
      expect(assets.length).toBeGreaterThan(1);
      for (const a of assets) expect(a).toEqual({ asset: a.asset, status: 200 });
    }
    for (const path of ["/no-such-page", `/t/${slug}/contacts/999999999`, "/t/no-such-workspace/login"]) {
      const page = await owner.get(path);
      expect({ path, status: page.status }).toEqual({ path, status: 404 });
      expect(page.text).toContain("<html");
      for (const a of await assetsOf(server.url, page.text))
        expect(a).toEqual({ asset: a.asset, status: 200 });
    }
  });

  it("imports a CSV file through the import page (its worker pool)", async () => {
    await owner.get(`/t/${slug}/imports`);
    const csv =
      "First name,Last name,Email\nWeb,Uploader,web@example.com\nSecond,Person,second@example.com\n";
    const id = importIdOf(await upload(owner, slug, csv, { fileName: "web.csv" }));
    const page = await owner.get(`/t/${slug}/imports/${id}`);
    const form = owner.forms(page.text).find((f) => f.action.endsWith(`/imports/${id}/mapping`));
    if (!form) throw new Error(`no mapping form:\n${page.text.slice(0, 2000)}`);
    const mapped = await owner.submit(form);
    expect(mapped.status).toBe(303);
    expect((await waitForTask(owner, mapped.headers.get("location"))).status).toBe("Done.");
    const started = await owner.post(`/t/${slug}/imports/${id}/run`, {});
    expect(started.status).toBe(303);
    expect((await waitForTask(owner, started.headers.get("location"))).status).toBe("Done.");
    expect((await owner.get(`/t/${slug}/contacts?q=Uploader`)).text).toContain("Web Uploader");
  }, 30_000);

  it("prepares a workspace download and erases a person from the Data & privacy page", async () => {
    await owner.get(`/t/${slug}/privacy`);
    for (const [path, magic] of [
      [`/t/${slug}/privacy/workspace.sqlite`, "SQLite format 3"],
      [`/t/${slug}/privacy/workspace.zip`, "PK"],
    ] as const) {
      const started = await owner.post(path, {});
      expect(started.status).toBe(303);
      const task = await waitForTask(owner, started.headers.get("location"));
      expect(task.status).toBe("Done.");
      const response = await fetch(server.url + (task.links[0] as string), {
        headers: { cookie: `crm_session=${owner.cookie("crm_session")}` },
      });
      expect(response.status).toBe(200);
      const bytes = new Uint8Array(await response.arrayBuffer());
      expect(new TextDecoder().decode(bytes.subarray(0, magic.length))).toBe(magic);
    }
    const list = await owner.get(`/t/${slug}/contacts?q=Uploader`);
    const personId = /\/contacts\/(\d+)/.exec(list.text)?.[1];
    expect(personId).toBeDefined();
    await owner.get(`/t/${slug}/privacy/contacts/${personId}/erasure`);
    const erased = await owner.post(`/t/${slug}/privacy/contacts/${personId}/erasure`, {});
    expect(erased.status).toBe(303);
    expect((await waitForTask(owner, erased.headers.get("location"))).status).toBe("Done.");
    expect((await owner.get(`/t/${slug}/contacts?q=Uploader`)).text).not.toContain("Web Uploader");
  }, 30_000);

  it("starts another process when one is killed, and keeps serving", async () => {
    const group = await server.waitForLine((l) => l.msg === "group listening");
    const victim = (group.pids as number[])[0] as number;
    process.kill(victim, "SIGKILL");
    const restarted = await server.waitForLine(
      (l) => l.msg === "server process started" && l.group === 0 && l.pid !== victim,
      10_000,
    );
    await server.waitForLine((l) => l.msg === "listening" && l.pid === restarted.pid, 10_000);
    for (let i = 0; i < 6; i++) expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await owner.get(`/t/${slug}/contacts`)).status).toBe(200);
  }, 30_000);

  it("stops every process on SIGINT (Ctrl-C), exit 0", async () => {
    const pids = (
      server.lines
        .map((l) => {
          try {
            return JSON.parse(l) as Record<string, unknown>;
          } catch {
            return {};
          }
        })
        .filter((l) => l.msg === "listening" && typeof l.pid === "number") as { pid: number }[]
    ).map((l) => l.pid);
    server.proc.kill("SIGINT");
    expect(await server.proc.exited).toBe(0);
    await Bun.sleep(200);
    for (const pid of pids) expect({ pid, alive: isAlive(pid) }).toEqual({ pid, alive: false });
  }, 30_000);
});

describe("serve --demo with the nightly run due", () => {
  it("creates the demo workspace and the nightly run (the binary started again by itself) succeeds", async () => {
    const demoHost = join(dir.path, "demo-host");
    mkdirSync(demoHost);
    const serveDemo = (env: Record<string, string>) =>
      startServer({
        command: [crm],
        cwd: demoHost,
        dataDir: join(demoHost, "data"),
        args: ["--demo", "--procs", "1"],
        env: { ...hostEnv(), ...env },
      });
    // The first start seeds the demo (5,000 contacts) before it listens: ~25 s on a loaded
    // machine, so a nightly time set a few seconds ahead would be behind the scheduler when it
    // starts, and the run would be tomorrow's. The demo is made first, then served again with
    // the run due.
    const first = await serveDemo({ CRM_ANALYTICS_AT: "off" });
    try {
      await first.waitForStderr("Demo workspace:");
      expect(first.stderr()).toContain("created the demo workspace");
      expect((await fetch(`${first.url}/t/demo/login`)).status).toBe(200);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    // TZ=UTC (hostEnv): the time is the host's wall clock.
    const at = new Date(Date.now() + 8_000).toISOString().slice(11, 19);
    const server = await serveDemo({ CRM_ANALYTICS_AT: at });
    try {
      await server.waitForStderr("Demo workspace:");
      const demo = new BrowserClient(server.url);
      await demo.get("/t/demo/login");
      const signedIn = await demo.post("/t/demo/login", {
        email: "demo@example.com",
        password: "demo-password",
        next: "",
      });
      expect(signedIn.status).toBe(303);
      expect((await demo.get("/t/demo/contacts")).status).toBe(200);
      const finished = await server.waitForLine((l) => l.msg === "analytics run finished", 30_000);
      expect({ exitCode: finished.exitCode, output: finished.output }).toMatchObject({ exitCode: 0 });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 120_000);
});

describe("the binary's file replaced while a group serves (an upgrade by rename)", () => {
  it("a child started again after the binary was replaced runs the supervisor's version, not the new file", async () => {
    const upHost = join(dir.path, "upgrade-host");
    mkdirSync(upHost);
    const binary = join(upHost, "crm");
    installBinary(built, binary);
    const server = await startServer({
      command: [binary],
      cwd: upHost,
      dataDir: join(upHost, "data"),
      args: ["--procs", "2"],
      env: { ...hostEnv(), CRM_WORKERS: "1", CRM_PROCS: "2" },
    });
    try {
      const group = await server.waitForLine((l) => l.msg === "group listening");
      const [victim, survivor] = group.pids as [number, number];
      // The upgrade as it must be done (cp over a running binary fails, ETXTBSY): the new file
      // written beside it, then renamed over it. Here the "new version" is a copy of the same build.
      installBinary(built, `${binary}.new`);
      renameSync(`${binary}.new`, binary);
      process.kill(victim, "SIGKILL");
      const restarted = await server.waitForLine(
        (l) => l.msg === "listening" && typeof l.pid === "number" && l.pid !== victim && l.pid !== survivor,
        15_000,
      );
      const program = (pid: number) => statSync(`/proc/${pid}/exe`).ino;
      // Never a group of mixed versions (a page answered by the new one, the next by the old; a new
      // version's migrations applied to files the old one serves): upgrading is a restart.
      expect(program(restarted.pid as number)).toBe(program(survivor));
      expect(program(restarted.pid as number)).toBe(program(server.pid));
    } finally {
      await server.stop();
    }
  }, 40_000);
});

describe("the binary's file moved away while a group serves (an upgrade by rename)", () => {
  it("a killed process is started again while the binary's file is moved away, from the program the group runs", async () => {
    const upHost = join(dir.path, "up-host");
    mkdirSync(upHost);
    const binary = join(upHost, "crm");
    installBinary(built, binary);
    const server = await startServer({
      command: [binary],
      cwd: upHost,
      dataDir: join(upHost, "data"),
      args: ["--procs", "2"],
      env: { ...hostEnv(), CRM_WORKERS: "1", CRM_PROCS: "2" },
    });
    try {
      const group = await server.waitForLine((l) => l.msg === "group listening");
      const [victim, survivor] = group.pids as [number, number];
      // The operator moves the running binary aside to put a new one in its place.
      renameSync(binary, `${binary}.old`);
      process.kill(victim, "SIGKILL");
      const restarted = await server.waitForLine(
        (l) => l.msg === "listening" && typeof l.pid === "number" && l.pid !== victim && l.pid !== survivor,
        15_000,
      );
      expect(statSync(`/proc/${restarted.pid}/exe`).ino).toBe(statSync(`/proc/${survivor}/exe`).ino);
      expect(server.lines.some((l) => l.includes("could not start"))).toBe(false);
    } finally {
      if (existsSync(`${binary}.old`)) renameSync(`${binary}.old`, binary);
      await server.stop();
    }
  }, 40_000);
});
