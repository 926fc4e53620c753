/**
 * A trial of `crm loadtest` as an operator load-testing their CRM uses it, and as careless or
 * hostile input meets it: absurd options, odd URLs and credentials, secrets in outputs and temp
 * files, interrupts mid-run, sessions left open, what --cleanup deletes, and whether the figures
 * agree with what the server itself counted (its /metrics), a lost session, forged tokens and a
 * stalled server included. Runs against the real server (--demo) with the real wrk.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO } from "../src/cli/demo-workspace.ts";
import type { LoadtestSummary } from "../src/loadtest/loadtest-summary.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { runCommand } from "./support/run-command.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { signIn } from "./support/workspace.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const data = tempDir("crm-trial-loadtest-");
const out = tempDir("crm-trial-loadtest-out-");
const JORDAN = `jordan@example.com:${DEMO.password}`;
const OWNER = `${DEMO.email}:${DEMO.password}`;
let server: TestServer;
let workspace: string;
let owner: BrowserClient;
let tenantDb: string;

beforeAll(async () => {
  server = await startServer({
    dataDir: data.path,
    args: ["--demo"],
    env: { CRM_RATE_LIMIT_PER_ADDRESS: "0", CRM_RATE_LIMIT_PER_WORKSPACE: "0", CRM_ACCESS_LOG: "false" },
  });
  await server.waitForStderr(DEMO.password, 90_000);
  workspace = `${server.url}/t/${DEMO.slug}`;
  owner = await signIn(server.url, DEMO.slug, DEMO.email, DEMO.password);
  const shard = readdirSync(join(data.path, "tenants")).find((f) => f.endsWith(".sqlite"));
  tenantDb = join(data.path, "tenants", shard as string);
}, 120_000);

afterAll(async () => {
  process.kill(server?.pid ?? 0, "SIGCONT");
  await server?.stop();
  data.remove();
  out.remove();
});

/** Live sessions in the demo workspace (the server's own table, read beside it). */
function liveSessions(): number {
  const db = new Database(tenantDb, { readonly: true });
  try {
    const row = db.query("SELECT count(*) AS n FROM sessions WHERE expires_at > ?").get(Date.now()) as {
      n: number;
    };
    return row.n;
  } finally {
    db.close();
  }
}

function crm(args: string[], env: Record<string, string> = {}) {
  return runCommand([process.execPath, "src/cli.ts", "loadtest", ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
}

/** A run in the background: what it wrote so far, a wait for a text on stderr, and its end. */
function background(args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([process.execPath, "src/cli.ts", "loadtest", ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let stderr = "";
  const stdout = new Response(proc.stdout).text();
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) stderr += decoder.decode(chunk);
  })();
  return {
    proc,
    async waitFor(text: string, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (!stderr.includes(text)) {
        if (Date.now() > until || proc.exitCode !== null)
          throw new Error(`no "${text}" on stderr:\n${stderr}`);
        await Bun.sleep(20);
      }
    },
    async done() {
      const code = await proc.exited;
      await reading;
      return { code, stdout: await stdout, stderr };
    },
  };
}

/** The data file of a run whose TMPDIR is `tmp` (one run at a time), and its sessions. */
function dataFileIn(tmp: string): string | undefined {
  for (const dir of readdirSync(tmp))
    if (dir.startsWith("crm-loadtest-run-") && existsSync(join(tmp, dir, "data.lua")))
      return join(tmp, dir, "data.lua");
  return undefined;
}

function sessionsIn(file: string): { cookie: string; csrf: string }[] {
  const text = readFileSync(file, "utf8");
  const cookies = [...text.matchAll(/\["cookie"\] = "([^"]+)"/g)].map((m) => m[1] as string);
  const tokens = [...text.matchAll(/\["csrf"\] = "([^"]+)"/g)].map((m) => m[1] as string);
  return cookies.map((cookie, i) => ({ cookie, csrf: tokens[i] as string }));
}

/** wrk processes still running on a data file under `tmp`. */
async function wrkUnder(tmp: string): Promise<string[]> {
  const ps = await runCommand(["ps", "-eo", "args"]);
  return ps.stdout.split("\n").filter((l) => l.includes("wrk") && l.includes(tmp));
}

/** The server's own count of answered requests (every route and status), from /metrics. */
async function serverRequests(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return [...text.matchAll(/^crm_http_requests_total\{[^}]*\} (\d+)$/gm)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
}

describe("crm loadtest, options as an operator mistypes them", () => {
  it("refuses absurd durations and connection counts in one line with exit 2, before contacting the server", async () => {
    const cases: [string[], RegExp][] = [
      [["--duration", "0"], /--duration "0" is not a duration/],
      [["--duration=-1"], /--duration "-1" is not a duration/],
      [["--duration", "1e9"], /--duration "1e9"/],
      [["--duration", "5x"], /--duration "5x"/],
      [["--duration", "1.5"], /--duration "1.5"/],
      [["--duration", ""], /--duration ""/],
      [["--connections", "0"], /--connections must be a whole number from 1 to 256/],
      [["--connections=-3"], /--connections must be a whole number/],
      [["--connections", "100000"], /--connections must be a whole number from 1 to 256/],
      [["--connections", "1.5"], /--connections must be a whole number/],
      [["--scenario", "../../etc/passwd"], /unknown scenario "\.\.\/\.\.\/etc\/passwd"/],
      [["--scenario", "browse.lua"], /unknown scenario "browse\.lua"/],
      [["--scenario", "lib/crm"], /unknown scenario "lib\/crm"/],
      [["--max-p99=-5"], /--max-p99 must be a number/],
    ];
    // An unreachable server: an option that passes would be told apart by "cannot reach".
    await Promise.all(
      cases.map(async ([args, message]) => {
        const run = await crm(["--url", "http://127.0.0.1:1/t/demo", "--duration", "1", ...args]);
        expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: "" });
        expect(run.stderr.trim().split("\n")).toHaveLength(1);
        expect(run.stderr).toMatch(message);
      }),
    );
  }, 30_000);

  it("refuses a --duration over 24 hours (a million minutes) as bad input, in one line with exit 2", async () => {
    // An hour-long soak (3600) and a day (1440m) are taken; past that a typo is refused up front.
    for (const duration of ["1000000m", "99999999999m", "1441m", "86401"]) {
      const run = await crm(["--url", "http://127.0.0.1:1/t/demo", "--duration", duration]);
      expect({ duration, code: run.code, stdout: run.stdout }).toEqual({ duration, code: 2, stdout: "" });
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(run.stderr).toMatch(/--duration .* longer than 24 hours/);
    }
    const day = await crm(["--url", "http://127.0.0.1:1/t/demo", "--duration", "1440m"]);
    expect(day.stderr).toMatch(/cannot reach/);
  });

  it("takes a URL with user:pass@, a query string or a trailing slash, and never prints the URL's password", async () => {
    for (const url of [
      `${server.url.replace("//", "//someone:hunter2@")}/t/${DEMO.slug}`,
      `${workspace}?utm=1#top`,
      `${workspace}/`,
    ]) {
      const run = await crm([
        "--url",
        url,
        "--users",
        JORDAN,
        "--scenario",
        "browse",
        "--duration",
        "1",
        "--connections",
        "1",
      ]);
      expect({ url, code: run.code }).toEqual({ url, code: 0 });
      expect(run.stdout).toContain(`against ${workspace},`);
      expect(run.stdout + run.stderr).not.toContain("hunter2");
    }
  }, 30_000);

  it("refuses with exit 2 and one line: https to an http server, an upper-case slug, a server that is not the CRM", async () => {
    const impostor = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("ok") });
    try {
      const cases: [string, RegExp][] = [
        [workspace.replace("http:", "https:"), /cannot reach https:/],
        [`${server.url}/t/Demo`, /names no workspace/],
        [`${server.url}/t/de mo`, /names no workspace/],
        [`http://127.0.0.1:${impostor.port}/t/demo`, /answered 200, not a sign-in page/],
      ];
      for (const [url, message] of cases) {
        const run = await crm(["--url", url, "--duration", "1", "--users", JORDAN]);
        expect({ url, code: run.code, stdout: run.stdout }).toEqual({ url, code: 2, stdout: "" });
        expect(run.stderr.trim().split("\n")).toHaveLength(1);
        expect(run.stderr).toMatch(message);
      }
    } finally {
      impostor.stop(true);
    }
  }, 30_000);

  it("says a refused password or a hostile email in one line, without the password, and writes nothing", async () => {
    const before = liveSessions();
    for (const users of [
      `${DEMO.email}:wrong:with-colon`,
      `x";os.execute("touch /tmp/pwned")--$(id)@e.com:p`,
    ]) {
      const run = await crm(["--url", workspace, "--duration", "1", "--users", users]);
      expect({ users, code: run.code, stdout: run.stdout }).toEqual({ users, code: 2, stdout: "" });
      expect(run.stderr).toMatch(/was refused/);
      expect(run.stderr).not.toContain("wrong:with");
    }
    expect(existsSync("/tmp/pwned")).toBe(false);
    expect(liveSessions()).toBe(before);
  }, 30_000);

  it("takes a password containing ',' in --users (a ',' separates users only before email:), and never prints a password's part", async () => {
    // A ',' separates two users only where what follows starts like an email and its colon.
    const run = await crm(["--url", "http://127.0.0.1:1/t/demo", "--users", `${DEMO.email}:secret,ss-tail`]);
    expect(run.stderr).not.toContain("ss-tail");
    expect(run.stderr).toMatch(/cannot reach/);
    // A malformed item is named by its place, not quoted.
    const bad = await crm(["--url", "http://127.0.0.1:1/t/demo", "--users", `${DEMO.email}:pw,x@y.z:`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--users expects email:password.*user 2 of 2/);
    expect(bad.stderr).not.toContain("x@y.z");
    // A trailing ',' stays the password's (so this one is refused), and is not printed.
    const signedIn = await crm([
      "--url",
      workspace,
      "--users",
      `${DEMO.email}:${DEMO.password},`,
      "--cleanup-only",
    ]);
    expect(signedIn.stderr).toMatch(/was refused/);
    expect(signedIn.stderr).not.toContain(DEMO.password);
  });

  it("signs out the users already signed in when a later user is refused", async () => {
    const before = liveSessions();
    const run = await crm([
      "--url",
      workspace,
      "--duration",
      "1",
      "--users",
      `${OWNER},sam@example.com:wrong-password`,
    ]);
    expect(run.code).toBe(2);
    expect(liveSessions()).toBe(before);
  }, 30_000);

  it("a read-only user alone only reads, with no errors; --cleanup then says none of them may delete (exit 1)", async () => {
    const json = join(out.path, "readonly.json");
    const run = await crm([
      "--url",
      workspace,
      "--users",
      JORDAN,
      "--duration",
      "1",
      "--connections",
      "2",
      "--json",
      json,
      "--cleanup",
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("none of --users may delete records (all read-only)");
    const summary: LoadtestSummary = JSON.parse(readFileSync(json, "utf8"));
    expect(summary.errors.total).toBe(0);
    expect(summary.requests).toBeGreaterThan(0);
    const writes = ["create_contact", "edit_contact", "create_deal", "move_deal"];
    expect(summary.actions.filter((a) => writes.includes(a.name))).toEqual([]);
    expect([summary.created.contacts, summary.created.deals]).toEqual([0, 0]);
  }, 30_000);

  it("refuses a --report into a folder that does not exist or cannot be written, in one line before anything runs", async () => {
    const before = liveSessions();
    const run = await crm([
      "--url",
      workspace,
      "--users",
      JORDAN,
      "--scenario",
      "browse",
      "--duration",
      "1",
      "--report",
      join(out.path, "no-such-dir", "r.html"),
    ]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/--report .* does not exist/);
    expect(liveSessions()).toBe(before);
    // A --json into a file that is a folder, and into a folder it may not write (as root, any is writable).
    const folder = await crm(["--url", workspace, "--users", JORDAN, "--duration", "1", "--json", out.path]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/--json .* is a folder/);
  }, 30_000);

  it("refuses --report and --json naming the same file (exit 2)", async () => {
    const file = join(out.path, "same.html");
    const run = await crm([
      "--url",
      workspace,
      "--users",
      JORDAN,
      "--scenario",
      "browse",
      "--duration",
      "1",
      "--report",
      file,
      "--json",
      file,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--json/);
  }, 30_000);
});

describe("crm loadtest, secrets and what a run leaves behind", () => {
  it("keeps cookies, tokens and passwords out of stdout, stderr, the JSON and the report; the temp dir and the sessions go", async () => {
    const tmp = tempDir("crm-trial-lt-tmp-");
    try {
      const before = liveSessions();
      const report = join(out.path, "secrets.html");
      const run = background(
        [
          "--url",
          workspace,
          "--users",
          `${OWNER},${JORDAN}`,
          "--duration",
          "2",
          "--connections",
          "2",
          "--report",
          report,
        ],
        { TMPDIR: tmp.path },
      );
      await run.waitFor("slice 1/");
      const file = dataFileIn(tmp.path) as string;
      expect(statSync(join(file, "..")).mode & 0o777).toBe(0o700);
      const secrets = sessionsIn(file);
      expect(secrets).toHaveLength(2);
      const { code, stdout, stderr } = await run.done();
      expect(code).toBe(0);
      const outputs = [
        stdout,
        stderr,
        readFileSync(report, "utf8"),
        readFileSync(`${join(out.path, "secrets")}.json`, "utf8"),
      ];
      for (const text of outputs) {
        expect(text).not.toContain(DEMO.password);
        for (const s of secrets) {
          expect(text).not.toContain(s.cookie.split("=")[1] as string);
          expect(text).not.toContain(s.csrf);
        }
      }
      // The report opens offline: nothing fetched from anywhere.
      expect(outputs[2]).not.toMatch(/<script|<link|<img|src=|href="https?:|url\(|@import/);
      expect(readdirSync(tmp.path)).toEqual([]);
      expect(liveSessions()).toBe(before);
      for (const s of secrets) {
        const page = await fetch(`${workspace}/tasks`, { headers: { cookie: s.cookie }, redirect: "manual" });
        expect(page.status).toBe(303);
      }
    } finally {
      tmp.remove();
    }
  }, 30_000);

  for (const signal of ["SIGTERM", "SIGINT"] as const)
    it(`${signal} mid-run stops wrk, removes the data file with its cookies from TMPDIR, signs the sessions out and exits ${signal === "SIGINT" ? 130 : 143}`, async () => {
      const tmp = tempDir("crm-trial-lt-sig-");
      try {
        const before = liveSessions();
        const run = background(
          [
            "--url",
            workspace,
            "--users",
            JORDAN,
            "--scenario",
            "browse",
            "--duration",
            "5",
            "--connections",
            "1",
          ],
          { TMPDIR: tmp.path },
        );
        await run.waitFor("slice 1/");
        const file = dataFileIn(tmp.path) as string;
        expect(statSync(file).mode & 0o777).toBe(0o600);
        run.proc.kill(signal);
        const { code } = await run.done();
        expect(code).toBe(signal === "SIGINT" ? 130 : 143);
        expect(await wrkUnder(tmp.path)).toEqual([]);
        expect(readdirSync(tmp.path)).toEqual([]);
        expect(liveSessions()).toBe(before);
      } finally {
        await Bun.sleep(1500); // a wrk left behind ends its 1-second slice
        tmp.remove();
      }
    }, 30_000);

  it("after SIGKILL (nothing can clean up) the leftover data file sits in a folder only its owner can open", async () => {
    const tmp = tempDir("crm-trial-lt-kill-");
    try {
      const run = background(
        [
          "--url",
          workspace,
          "--users",
          JORDAN,
          "--scenario",
          "browse",
          "--duration",
          "3",
          "--connections",
          "1",
        ],
        { TMPDIR: tmp.path },
      );
      await run.waitFor("slice 1/");
      run.proc.kill("SIGKILL");
      await run.done();
      const file = dataFileIn(tmp.path) as string;
      expect(file).toBeDefined();
      expect(statSync(join(file, "..")).mode & 0o077).toBe(0);
      // Sign the leftover session out by hand, as an operator would have to.
      for (const s of sessionsIn(file))
        await fetch(`${workspace}/logout`, {
          method: "POST",
          redirect: "manual",
          headers: { cookie: s.cookie, "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ _csrf: s.csrf }),
        });
    } finally {
      await Bun.sleep(1500);
      tmp.remove();
    }
  }, 30_000);
});

describe("crm loadtest, --cleanup and the workspace's own records", () => {
  it("--cleanup-only keeps the workspace's records named loadtest but not tagged so", async () => {
    const answer = await owner.post(`/t/${DEMO.slug}/contacts`, {
      firstName: "loadtest",
      lastName: "Consulting",
    });
    expect(answer.status).toBe(303);
    const path = new URL(answer.headers.get("location") as string, server.url).pathname;
    const run = await crm(["--url", workspace, "--users", OWNER, "--cleanup-only"]);
    expect(run.code).toBe(0);
    expect((await owner.get(path)).status).toBe(200);
  }, 30_000);

  it("--cleanup-only deletes only what a run made (named exactly as a run names them), not a user's own records tagged loadtest with the word in an email, a last name or a deal title", async () => {
    const made: string[] = [];
    const contact = async (fields: Record<string, string>) => {
      const answer = await owner.post(`/t/${DEMO.slug}/contacts`, fields);
      expect(answer.status).toBe(303);
      made.push(new URL(answer.headers.get("location") as string, server.url).pathname);
    };
    await contact({ firstName: "Jane", lastName: "Doe", email: "jane@loadtest.example", tags: "loadtest" });
    await contact({ firstName: "Ann", lastName: "Loadtester", tags: "loadtest, vip" });
    const board = await owner.get(`/t/${DEMO.slug}/deals/board`);
    const stage = /class="column kind-open" data-stage-id="(\d+)"/.exec(board.text)?.[1] as string;
    const deal = await owner.post(`/t/${DEMO.slug}/deals`, {
      title: "Loadtest tooling for Acme",
      stageId: stage,
      currency: "USD",
      tags: "loadtest",
    });
    expect(deal.status).toBe(303);
    made.push(new URL(deal.headers.get("location") as string, server.url).pathname);

    const run = await crm(["--url", workspace, "--users", OWNER, "--cleanup-only"]);
    expect(run.code).toBe(0);
    const kept = await Promise.all(made.map(async (path) => [path, (await owner.get(path)).status]));
    expect(kept).toEqual(made.map((path) => [path, 200]));
  }, 60_000);
});

describe("crm loadtest, figures against what the server saw", () => {
  it("counts the requests the server counted (less at most one in flight per connection and slice)", async () => {
    const json = join(out.path, "agree.json");
    const before = await serverRequests();
    const run = await crm([
      "--url",
      workspace,
      "--users",
      JORDAN,
      "--scenario",
      "browse",
      "--duration",
      "2",
      "--connections",
      "2",
      "--json",
      json,
    ]);
    const after = await serverRequests();
    expect(run.code).toBe(0);
    const summary: LoadtestSummary = JSON.parse(readFileSync(json, "utf8"));
    // Outside wrk: sign-in (3), discovery (8), /metrics reads (1 + slices + ours), sign-out (1).
    const preparation = 3 + 8 + (1 + summary.slices.length + 1) + 1;
    const inFlight = summary.connections * summary.slices.length;
    const unaccounted = after - before - preparation - summary.requests;
    expect(unaccounted).toBeGreaterThanOrEqual(0);
    expect(unaccounted).toBeLessThanOrEqual(inFlight);
    expect(Math.abs(summary.requestsPerSecond / (summary.requests / summary.seconds) - 1)).toBeLessThan(0.05);
  }, 30_000);

  it("counts 403s from forged form tokens as errors, by action, and fails the run", async () => {
    const tmp = tempDir("crm-trial-lt-csrf-");
    try {
      const json = join(out.path, "forged.json");
      const run = background(
        [
          "--url",
          workspace,
          "--users",
          OWNER,
          "--scenario",
          "write-heavy",
          "--duration",
          "3",
          "--connections",
          "2",
          "--json",
          json,
        ],
        { TMPDIR: tmp.path },
      );
      await run.waitFor("slice 1/");
      const file = dataFileIn(tmp.path) as string;
      const text = readFileSync(file, "utf8").replace(/\["csrf"\] = "[^"]+"/g, '["csrf"] = "forged"');
      await Bun.write(file, text);
      const { code } = await run.done();
      expect(code).toBe(1);
      const summary: LoadtestSummary = JSON.parse(readFileSync(json, "utf8"));
      expect(summary.errors.byStatus["403"]).toBeGreaterThan(0);
      expect(summary.errors.total).toBe(summary.errors.byStatus["403"] as number);
      expect(summary.slices[0]?.errors).toBe(0);
      expect(summary.failures[0]).toMatch(/errors?$/);
    } finally {
      tmp.remove();
    }
  }, 30_000);

  it("counts a session lost mid-run (answers redirected to the login page) as errors, creates nothing from them, and fails the run", async () => {
    // Reads expect 200, form writes a 303 to the record, the board's move 200; a redirect to
    // the login page is an error. The statuses stay as answered (303s shown), each one an error.
    const tmp = tempDir("crm-trial-lt-lost-");
    try {
      const json = join(out.path, "lost.json");
      const run = background(
        [
          "--url",
          workspace,
          "--users",
          OWNER,
          "--scenario",
          "mixed",
          "--duration",
          "3",
          "--connections",
          "2",
          "--json",
          json,
        ],
        { TMPDIR: tmp.path },
      );
      await run.waitFor("slice 1/");
      for (const s of sessionsIn(dataFileIn(tmp.path) as string))
        await fetch(`${workspace}/logout`, {
          method: "POST",
          redirect: "manual",
          headers: { cookie: s.cookie, "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ _csrf: s.csrf }),
        });
      const { code, stdout } = await run.done();
      const summary: LoadtestSummary = JSON.parse(readFileSync(json, "utf8"));
      const reads = summary.actions.filter((a) => !/create|edit|move/.test(a.name));
      const redirectedReads = reads.reduce((sum, a) => sum + (a.statuses["303"] ?? 0), 0);
      const readErrors = reads.reduce((sum, a) => sum + a.errors, 0);
      expect({
        code,
        redirectedReadsAreErrors: redirectedReads <= readErrors,
        unexpected: summary.errors.unexpected >= redirectedReads,
        errors: summary.errors.total > 0,
      }).toEqual({ code: 1, redirectedReadsAreErrors: true, unexpected: true, errors: true });
      // Only real creations count: the preparation's 2 of each (one writer) and the creates that succeeded.
      const succeeded = (name: string) => {
        const a = summary.actions.find((x) => x.name === name);
        return a ? a.count - a.errors : 0;
      };
      expect(summary.created.contacts).toBe(2 + succeeded("create_contact"));
      expect(summary.created.deals).toBe(2 + succeeded("create_deal"));
      expect(stdout).toContain("FAIL");
    } finally {
      tmp.remove();
    }
  }, 30_000);

  it("shows a server stalled for 3 s mid-run (SIGSTOP, SIGCONT) as timeouts and unmeasured time, and fails the run", async () => {
    // A request unanswered at a slice's end past half the slice counts as a timeout, and each
    // slice's wall time (the /metrics read after it included) is measured against wrk's.
    const json = join(out.path, "stall.json");
    const run = background([
      "--url",
      workspace,
      "--users",
      JORDAN,
      "--scenario",
      "browse",
      "--duration",
      "5",
      "--connections",
      "2",
      "--json",
      json,
    ]);
    await run.waitFor("slice 1/");
    const stoppedAt = Date.now();
    process.kill(server.pid, "SIGSTOP");
    await Bun.sleep(3000);
    process.kill(server.pid, "SIGCONT");
    const { code } = await run.done();
    const stalled = Date.now() - stoppedAt;
    const summary: LoadtestSummary = JSON.parse(readFileSync(json, "utf8"));
    const slowest = Math.max(...summary.slices.map((s) => s.maxMs));
    expect({
      code,
      seenStall: summary.errors.socket.timeout > 0 || slowest >= 2000,
      secondsCoverStall: summary.seconds >= stalled / 1000 - 0.5,
      gapShown: Math.max(...summary.slices.map((s) => s.gapSeconds)) >= 1,
    }).toEqual({ code: 1, seenStall: true, secondsCoverStall: true, gapShown: true });
  }, 30_000);
});
