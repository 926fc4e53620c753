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

  it.skip("DEFECT: an absurd --duration (a million minutes, about two years) is taken, not refused as bad input", async () => {
    // parseDuration has no upper bound: "1000000m" or "99999999999m" pass and the run would go
    // on until interrupted (5-second slices, forever). An hour-long soak (3600) is fine.
    const run = await crm(["--url", "http://127.0.0.1:1/t/demo", "--duration", "1000000m"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--duration/);
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

  it.skip("DEFECT: a password containing ',' cannot be given to --users, and the refusal prints the password's tail", async () => {
    // parseUsers splits the whole list on ',' with no escape: "email:pa,ss-tail" becomes the pair
    // "email:pa" and the pair "ss-tail", and the message quotes that piece of the password.
    const run = await crm(["--url", "http://127.0.0.1:1/t/demo", "--users", `${DEMO.email}:secret,ss-tail`]);
    expect(run.stderr).not.toContain("ss-tail");
    expect(run.stderr).toMatch(/cannot reach/);
  });

  it.skip("DEFECT: a refused second user leaves the first user's session signed in on the server", async () => {
    // prepareRun signs users in one after the other and throws on the first refusal; the users
    // already signed in are never signed out (the finally that signs out comes after prepareRun).
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

  it.skip("DEFECT: --report into a directory that does not exist is found only after the whole run (stack trace, --cleanup skipped)", async () => {
    // The paths are written after the run: the JSON's ENOENT escapes as an uncaught Error with
    // its stack, the run's time is lost and --cleanup never runs. It should be refused up front.
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
  }, 30_000);

  it.skip("DEFECT: --report and --json naming the same file: the HTML silently replaces the JSON (exit 0, 'wrote' twice)", async () => {
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
    it.skip(`DEFECT: ${signal} mid-run leaves wrk running, the data file with live cookies in TMPDIR, and the sessions signed in`, async () => {
      // No signal handler: Bun exits without the finally that removes the data file and signs
      // out, and the wrk child (not killed, not in a process group we end) runs its slice out.
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
        run.proc.kill(signal);
        await run.done();
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

  it.skip("DEFECT: --cleanup-only deletes a user's own records tagged loadtest that are not named as a run names them (an email, a last name, a deal title)", async () => {
    // The filter is q=loadtest&tag=loadtest: q also matches emails, any part of a name, a
    // company's name. What is right: a run's contacts have the first name exactly "loadtest" and its deals the
    // title "loadtest deal …", both tagged loadtest; only those are the load test's to delete.
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

  it.skip("DEFECT: a session lost mid-run (signed out elsewhere) makes every answer a 303 to the login page, counted as success: PASS", async () => {
    // Any 3xx counts as a success (crm.lua's response()), so pages redirected to /login pass
    // and even the 'created' count takes them; reads expect 200, writes a 303 to the record.
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
      expect({ code, redirectedReads, errors: summary.errors.total > 0 }).toEqual({
        code: 1,
        redirectedReads: 0,
        errors: true,
      });
      expect(stdout).toContain("FAIL");
    } finally {
      tmp.remove();
    }
  }, 30_000);

  it.skip("DEFECT: a server stalled for 3 s mid-run (SIGSTOP, SIGCONT) shows no timeout, no slow request and no gap: PASS", async () => {
    // wrk's timeout is 2 s but the slices last 1 s, and a request in flight when wrk's slice
    // ends is dropped uncounted; the wait for /metrics between slices is not measured either,
    // so the run's seconds, its max latency and its time series all leave the stall out.
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
    }).toEqual({ code: 1, seenStall: true, secondsCoverStall: true });
  }, 30_000);
});
