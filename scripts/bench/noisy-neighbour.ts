/**
 * Benchmark: one workspace must never slow another. A server (`crm serve`, a child process)
 * over a data directory with two workspaces: `loud` (5,000 contacts, a contact with 20 notes of
 * 10,000 characters, people to erase) loops one kind of heavy legitimate operation at a time
 * while wrk loads `calm`'s contacts page; each phase's victim p99 over the idle phase's p99 (the
 * issue's target: ≤ 2). Phases, each --seconds long after --warmup, in --rounds interleaved rounds:
 *   idle        nothing else: the reference;
 *   bulk        a bulk change of the 5,000 contacts (add a tag, then remove it), followed to its end;
 *   record      `loud`'s record page with 20 notes of 10,000 characters, two clients looping it;
 *   download    the workspace's SQLite download (a background task), followed to its end;
 *   erasure     erasing a person (with the file's rewrite), each run another one;
 *   lock        writes to `loud` (PATCH, API) while another process holds its file's write lock
 *               (BEGIN IMMEDIATE, 300 ms of every 600);
 *   reports     four reports of `loud`'s at once, again as soon as they answered;
 *   all         every one of those at once.
 * Then, each round, /healthz's p99 (wrk, 4 connections) while wrk loads `calm`'s page with 512
 * connections, against /healthz alone. Printed: medians over the rounds of each phase's victim
 * p50 and p99 (ms) and their ratio to idle, the operations completed, and the /healthz figures
 * (medians over the rounds, the loaded p99 as a ratio of the alone p99 too).
 *
 * Usage: bun scripts/bench/noisy-neighbour.ts [--root DIR] [--rounds N] [--seconds N]
 *          [--warmup N] [--connections N] [--phases idle,bulk,...] [--calm-contacts N]
 *          [--victim PATH]
 *   (npm run bench:noisy). --root runs the server and CLI of another checkout (a "before").
 *   --calm-contacts seeds `calm` bigger (default 300; 100000 puts its list past the count cap);
 *   --victim is the page of `calm`'s wrk loads (default /t/calm/contacts; e.g.
 *   "/t/calm/contacts?tag=lead&sort=name", a tag filter sorted by name).
 *   Needs wrk (apt-get install wrk).
 */
import "./bench-env.ts";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { median, parseWrk, type WrkResult } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    root: { type: "string", default: resolve(import.meta.dir, "../..") },
    rounds: { type: "string", default: "2" },
    seconds: { type: "string", default: "6" },
    warmup: { type: "string", default: "1" },
    connections: { type: "string", default: "8" },
    phases: { type: "string", default: "idle,bulk,record,download,erasure,lock,reports,all" },
    "calm-contacts": { type: "string", default: "300" },
    victim: { type: "string", default: "/t/calm/contacts" },
  },
  strict: true,
});
const root = resolve(values.root as string);
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const connections = Number(values.connections);
const phases = (values.phases as string).split(",").filter(Boolean);
const calmContacts = Number(values["calm-contacts"]);
const victimPath = values.victim as string;
const CLI = join(root, "src/cli.ts");
const PASSWORD = "noisy neighbour bench";
const dataDir = mkdtempSync(join(tmpdir(), "crm-bench-noisy-"));

function cli(...args: string[]): string {
  const run = Bun.spawnSync([process.execPath, CLI, ...args, "--data", dataDir], {
    cwd: root,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (run.exitCode !== 0) throw new Error(`crm ${args.join(" ")}: ${run.stderr.toString()}`);
  return run.stdout.toString();
}

// --- The data: made by the checkout's own commands, then a few rows written directly.
for (const slug of ["loud", "calm"])
  cli("tenants", "create", slug, "--owner-email", `owner@${slug}.example`, "--owner-password", PASSWORD);
cli(
  "seed",
  "--tenant",
  "loud",
  "--contacts",
  "5000",
  "--seed",
  "7",
  "--deals",
  "300",
  "--interactions-per-contact",
  "1",
);
cli(
  "seed",
  "--tenant",
  "calm",
  "--contacts",
  String(calmContacts),
  "--seed",
  "8",
  "--deals",
  "30",
  "--interactions-per-contact",
  calmContacts > 10_000 ? "0" : "2",
);
const loudKey = /(crm_[A-Za-z0-9_-]+|[A-Za-z0-9_-]{30,})/.exec(
  cli("apikeys", "create", "--tenant", "loud", "--role", "owner"),
)?.[1];
if (!loudKey) throw new Error("no API key printed");
const catalog = new Database(join(dataDir, "catalog.sqlite"), { readonly: true });
const loudFile = join(
  dataDir,
  (catalog.query("SELECT file FROM tenants WHERE slug = 'loud'").get() as { file: string }).file,
);
catalog.close();
const persons: number[] = [];
let notedContact = 0;
let writtenContact = 0;
{
  const db = new Database(loudFile);
  db.run("PRAGMA busy_timeout = 10000");
  const now = Date.now();
  db.transaction(() => {
    db.run("UPDATE contacts SET created_at = 86400000");
    const contact = db.query(
      "INSERT INTO contacts (first_name, last_name, email, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
    );
    const note = db.query(
      "INSERT INTO notes (body, subject_type, subject_id, created_at, updated_at) VALUES (?, 'contact', ?, ?, ?)",
    );
    notedContact = (contact.get("Noted", "Person", "noted@loud.example", now, now) as { id: number }).id;
    const body =
      `See https://example.com/a/b?c=d${".,;:!?)]'\"".repeat(600)} and www.example.org/x${"!".repeat(3000)}`
        .padEnd(10_000, ".")
        .slice(0, 10_000);
    for (let i = 0; i < 20; i++) note.run(body, notedContact, now + i, now + i);
    writtenContact = (contact.get("Written", "Often", "written@loud.example", now, now) as { id: number }).id;
    for (let i = 0; i < 400; i++) {
      const email = `erase-${i}@person.example`;
      const id = (contact.get(`Erasable${i}`, "Person", email, now, now) as { id: number }).id;
      note.run(`Wrote to ${email}`, id, now, now);
      persons.push(id);
    }
  })();
  db.close();
}

// --- The server.
const server = Bun.spawn([process.execPath, CLI, "serve", "--port", "0", "--data", dataDir], {
  cwd: root,
  env: { ...process.env, CRM_ACCESS_LOG: "false" },
  stdout: "pipe",
  stderr: "pipe",
});
const base = await (async () => {
  const reader = server.stdout.getReader();
  let text = "";
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    const url = /"url":"(http:[^"]+)"/.exec(text)?.[1];
    if (url) {
      reader.releaseLock();
      void server.stdout.pipeTo(new WritableStream()); // keep draining its log
      return url;
    }
  }
  throw new Error(`the server did not start:\n${text}`);
})();

/** A signed-in browser: its cookies and CSRF token. */
class Client {
  cookies = new Map<string, string>();
  csrf = "";
  async request(
    method: string,
    path: string,
    form?: Record<string, string>,
    headers: Record<string, string> = {},
  ) {
    const response = await fetch(base + path, {
      method,
      redirect: "manual",
      headers: {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
        ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
        ...headers,
      },
      body: form ? new URLSearchParams({ _csrf: this.csrf, ...form }) : undefined,
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const at = pair?.indexOf("=") ?? -1;
      if (pair && at > 0) this.cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const text = await response.text();
    const token =
      /name="_csrf" value="([^"]+)"/.exec(text)?.[1] ??
      /<meta name="csrf-token" content="([^"]+)"/.exec(text)?.[1];
    if (token) this.csrf = token;
    return { status: response.status, location: response.headers.get("location"), text };
  }
  static async signIn(slug: string): Promise<Client> {
    const client = new Client();
    await client.request("GET", `/t/${slug}/login`);
    const signedIn = await client.request("POST", `/t/${slug}/login`, {
      email: `owner@${slug}.example`,
      password: PASSWORD,
      next: "",
    });
    if (signedIn.status !== 303) throw new Error(`sign-in to ${slug}: ${signedIn.status}`);
    await client.request("GET", `/t/${slug}/contacts`);
    return client;
  }
  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

const loud = await Client.signIn("loud");
const calm = await Client.signIn("calm");

/** Follows a background task's page until it ends (a 503 there is a locked file: asked again). */
async function follow(location: string | null): Promise<boolean> {
  if (!location || !/\/background\/\d+$/.test(location)) return true; // answered in the request (an older server)
  for (;;) {
    const page = await loud.request("GET", location, undefined, { "hx-request": "true" });
    const status = /status-\w+">(Done\.|Failed\.|Cancelled\.)/.exec(page.text)?.[1];
    if (status) return status === "Done.";
    await Bun.sleep(50);
  }
}

/** A heavy operation, once: true if it did its work (a 503 is a refusal to try again later). */
type Op = () => Promise<boolean>;
let bulkRound = 0;
let nextPerson = 0;
let reportRound = 0;
const OPS: Record<string, Op[]> = {
  bulk: [
    async () => {
      await loud.request("GET", "/t/loud/contacts");
      const started = await loud.request("POST", "/t/loud/contacts/bulk", {
        scope: "all",
        filter: "createdTo=1970-01-02",
        ownerId: "",
        action: bulkRound++ % 2 === 0 ? "addTag" : "removeTag",
        tag: "noisy",
      });
      return started.status === 303 && (await follow(started.location));
    },
  ],
  record: [1, 2].map(
    () => async () => (await loud.request("GET", `/t/loud/contacts/${notedContact}`)).status === 200,
  ),
  download: [
    async () => {
      const started = await loud.request("POST", "/t/loud/privacy/workspace.sqlite", {});
      return (started.status === 303 || started.status === 200) && (await follow(started.location));
    },
  ],
  erasure: [
    async () => {
      const id = persons[nextPerson];
      if (id === undefined) return false;
      await loud.request("GET", `/t/loud/privacy/contacts/${id}/erasure`);
      const started = await loud.request("POST", `/t/loud/privacy/contacts/${id}/erasure`, {});
      if (started.status !== 303) return false;
      nextPerson++;
      return await follow(started.location);
    },
  ],
  lock: [
    async () => {
      const response = await fetch(`${base}/api/v1/t/loud/contacts/${writtenContact}`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${loudKey}`, "content-type": "application/json" },
        body: JSON.stringify({ title: `T${performance.now()}` }),
      });
      await response.text();
      return response.status === 200;
    },
  ],
  reports: [
    async () => {
      const pages = await Promise.all(
        [1, 2, 3, 4].map(() => {
          const from = new Date(Date.UTC(2023, 0, 1) + (reportRound++ % 1000) * 86_400_000)
            .toISOString()
            .slice(0, 10);
          return loud.request("GET", `/t/loud/reports/win-rate?from=${from}&to=2026-12-31`);
        }),
      );
      return pages.some((p) => p.status === 200);
    },
  ],
};

/** Another process holding `loud`'s file's write lock 300 ms of every 600 ms, until killed. */
function lockHolder() {
  const script = `
    import { Database } from "bun:sqlite";
    const db = new Database(${JSON.stringify(loudFile)});
    db.run("PRAGMA busy_timeout = 10000");
    for (;;) { db.run("BEGIN IMMEDIATE"); await Bun.sleep(300); db.run("ROLLBACK"); await Bun.sleep(300); }`;
  return Bun.spawn([process.execPath, "-e", script], { stdout: "ignore", stderr: "ignore" });
}

/** Runs `phase`'s operations in loops while `measure` runs; returns what it measured and the operations done. */
async function underLoad<T>(phase: string, measure: () => Promise<T>): Promise<{ result: T; done: number }> {
  const names = phase === "all" ? Object.keys(OPS) : phase === "idle" ? [] : [phase];
  let stop = false;
  let done = 0;
  const holder = names.includes("lock") ? lockHolder() : undefined;
  const loops = names.flatMap((name) =>
    (OPS[name] ?? []).map(async (op) => {
      while (!stop) {
        try {
          if (await op()) done++;
          else await Bun.sleep(50);
        } catch {
          await Bun.sleep(50);
        }
      }
    }),
  );
  await Bun.sleep(warmup * 1000);
  try {
    return { result: await measure(), done };
  } finally {
    stop = true;
    holder?.kill();
    await Promise.all(loops);
  }
}

async function wrk(path: string, conns: number, secs: number, cookie?: string): Promise<WrkResult> {
  const args = [
    "wrk",
    "--latency",
    "-t",
    conns >= 64 ? "2" : "1",
    "-c",
    String(conns),
    "-d",
    `${secs}s`,
    "--timeout",
    "60s",
  ];
  if (cookie) args.push("-H", `Cookie: ${cookie}`);
  const run = Bun.spawn([...args, base + path], { stdout: "pipe", stderr: "pipe" });
  const output = await new Response(run.stdout).text();
  await run.exited;
  return parseWrk(output);
}

const victim = () => wrk(victimPath, connections, seconds, calm.cookieHeader());
const results = new Map<string, { p50: number[]; p99: number[]; done: number[]; non2xx: number[] }>();
for (let round = 1; round <= rounds; round++) {
  for (const phase of phases) {
    const { result, done } = await underLoad(phase, victim);
    const entry = results.get(phase) ?? { p50: [], p99: [], done: [], non2xx: [] };
    entry.p50.push(result.p50Ms);
    entry.p99.push(result.p99Ms);
    entry.done.push(done);
    entry.non2xx.push(result.non2xx + result.errors);
    results.set(phase, entry);
    console.error(`round ${round} ${phase}: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ops ${done}`);
  }
}

const fixed = (n: number) => n.toFixed(n < 10 ? 2 : 1);
const idleP99 = median(results.get("idle")?.p99 ?? [Number.NaN]);
const idleP50 = median(results.get("idle")?.p50 ?? [Number.NaN]);
console.log(
  `noisy neighbour (${root}): ${victimPath}, ${connections} connections, ${seconds} s x ${rounds} rounds`,
);
console.log("phase      p50 ms   p99 ms   p50/idle  p99/idle  ops done  non-2xx");
for (const [phase, r] of results) {
  const p50 = median(r.p50);
  const p99 = median(r.p99);
  console.log(
    `${phase.padEnd(10)} ${fixed(p50).padStart(6)}  ${fixed(p99).padStart(7)}  ${fixed(p50 / idleP50).padStart(8)}  ${fixed(p99 / idleP99).padStart(8)}  ${String(median(r.done)).padStart(8)}  ${String(median(r.non2xx)).padStart(7)}`,
  );
}

// /healthz at 512 connections of page load, against /healthz alone, each round.
const health = {
  alone: [] as number[],
  loaded: [] as number[],
  loadedP50: [] as number[],
  pageP99: [] as number[],
};
const pageRate: number[] = [];
let pageFailures = 0;
for (let round = 1; round <= rounds; round++) {
  const alone = await wrk("/healthz", 4, seconds);
  const [loaded, page] = await Promise.all([
    wrk("/healthz", 4, seconds),
    wrk(victimPath, 512, seconds, calm.cookieHeader()),
  ]);
  health.alone.push(alone.p99Ms);
  health.loaded.push(loaded.p99Ms);
  health.loadedP50.push(loaded.p50Ms);
  health.pageP99.push(page.p99Ms);
  pageRate.push(page.requestsPerSecond);
  pageFailures += page.non2xx + page.errors + loaded.non2xx + loaded.errors;
  console.error(
    `round ${round} /healthz: p99 ${alone.p99Ms} ms alone, ${loaded.p99Ms} ms with 512 connections (p50 ${loaded.p50Ms} ms)`,
  );
}
const healthAlone = median(health.alone);
const healthLoaded = median(health.loaded);
console.log(
  `/healthz p99: ${fixed(healthAlone)} ms alone, ${fixed(healthLoaded)} ms with 512 connections on calm's page (${fixed(healthLoaded / healthAlone)}x; p50 ${fixed(median(health.loadedP50))} ms; the page: p99 ${fixed(median(health.pageP99))} ms, ${Math.round(median(pageRate))} req/s, ${pageFailures} non-2xx or errors; medians of ${rounds} rounds)`,
);

server.kill();
await server.exited;
rmSync(dataDir, { recursive: true, force: true });
