import { Database } from "bun:sqlite";
import { afterAll, describe, expect, it } from "bun:test";
import { readdirSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { startServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir } from "./support/workspace.ts";

/** Rounds, each ending in a SIGKILL that lands while the server is inside a tenant's WAL sync. */
const KILLS = 16;
/**
 * strace holds every sync's return this long: the window a kill lands in. A commit's frames
 * are written before its sync starts, so a commit killed there is in the file, unanswered.
 */
const SYNC_HOLD = "20ms";
/** Writers per tenant, each with one request in flight at a time: contacts, two deal movers, a bulk mover. */
const WRITERS = 4;
/** Deals a bulk change moves together. */
const GROUP = 6;
/** A round waits this long at most for its acknowledged writes, or for a sync to kill in. */
const ROUND_MS = 60_000;
/** Writes acknowledged in a round before its kill may land: varies by round, so kills land at different points. */
const ackedBeforeKill = (round: number) => 2 + ((round * 7) % 9);
/** fsync and fdatasync in /proc/<pid>/syscall, by architecture. */
const SYNC_CALLS: Record<string, string[]> = { x64: ["74", "75"], arm64: ["82", "83"] };

const dir = tempDir();
afterAll(() => dir.remove());

/** The one child of `pid` (strace's traced server). */
function childOf(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/);
  if (children.length !== 1) throw new Error(`expected one child of ${pid}, found ${children}`);
  return Number(children[0]);
}

/** The file a thread of `pid` is syncing right now, if any (read from /proc: the server's side). */
function syncingFile(pid: number): string | undefined {
  const calls = SYNC_CALLS[process.arch];
  if (!calls) throw new Error(`no syscall numbers for ${process.arch}`);
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [call, fd] = readFileSync(`/proc/${pid}/task/${task}/syscall`, "utf8").split(" ");
      if (call && fd && calls.includes(call)) return readlinkSync(`/proc/${pid}/fd/${Number(fd)}`);
    } catch {
      // The thread ended, or the call returned, while we looked.
    }
  }
  return undefined;
}

/** A contact a writer asked for, and whether the answer came back. */
interface ContactSent {
  round: number;
  email: string;
  acked: boolean;
  /** Answered 503 + Retry-After (the workspace was locked by a worker's write): nothing may be stored. */
  refused?: boolean;
  id?: number;
}

/** A move a writer asked for; `committed` (per deal) is known once the deals were read again after it. */
interface MoveSent {
  round: number;
  to: number;
  acked: boolean;
  committed?: boolean[];
}

/** A writer of moves: of one deal (PATCH stageId) or of a group of deals (bulk change). */
interface Mover {
  name: string;
  bulk: boolean;
  dealIds: number[];
  initial: number[];
  /** Where each deal is, as far as the writer knows. */
  at: number[];
  sent: MoveSent[];
}

interface Tenant {
  slug: string;
  key: string;
  file: string;
  wal: string;
  stageIds: number[];
  contacts: ContactSent[];
  movers: Mover[];
}

/**
 * Settles the writer's last move from where its deals are now (read after the kill): a move is
 * always to a stage none of its deals is in, so each deal is either where the move sent it
 * (committed) or where it was. Returns what is wrong, if anything.
 */
function settle(mover: Mover, now: number[]): string[] {
  const last = mover.sent.at(-1);
  const problems: string[] = [];
  if (last && !last.committed) {
    last.committed = now.map((stage) => stage === last.to);
    if (new Set(last.committed).size > 1) {
      problems.push(
        `${mover.name}: the unanswered bulk move of round ${last.round} moved only some of its deals`,
      );
    }
  }
  for (const [i, stage] of now.entries()) {
    const expected = last?.committed?.[i] ? last.to : mover.at[i];
    if (stage !== expected) {
      problems.push(`${mover.name}: deal ${mover.dealIds[i]} is in stage ${stage}, expected ${expected}`);
    }
  }
  mover.at = now;
  return problems;
}

/**
 * Acknowledged writes survive the process being killed mid-write, and every write is all or
 * nothing. Each round, clients create contacts, move deals one at a time and move groups of
 * deals by bulk change through the API, and the server is SIGKILLed while a thread of it is
 * inside a sync of a tenant's WAL (seen in /proc: the server's side, not the client's): the
 * commit being synced is in the file but was never answered, and the test finds it there.
 * (SIGKILL leaves the page cache in place, so this proves atomicity and acknowledgement order,
 * not the sync to disk: durability.test.ts checks the syncs.)
 */
describe("crash safety", () => {
  it(`keeps every acknowledged write and no half of any write across ${KILLS} SIGKILLs inside a WAL sync, each leaving a committed write unanswered; board totals match the deals, every shard passes integrity_check`, async () => {
    const strace = Bun.which("strace");
    if (!strace) throw new Error("strace is not installed: sudo apt-get install -y strace (see README)");
    const data = new DataDir(dir.path);
    const slugs = ["crash-a", "crash-b"];
    const keys: Record<string, string> = {};
    for (const slug of slugs) {
      await data.tenant(slug);
      keys[slug] = await data.apiKey(slug);
    }
    const files = Object.fromEntries(slugs.map((slug) => [slug, join(dir.path, data.get(slug).file)]));
    data.close();

    // Deals in two currencies, made through the API of a server nobody kills.
    const setupServer = await startServer({ dataDir: dir.path });
    const tenants: Tenant[] = [];
    try {
      for (const [t, slug] of slugs.entries()) {
        const call = api(setupServer.url, keys[slug] as string);
        const pipelines = await call("GET", `/t/${slug}/pipelines`);
        expect(pipelines.status).toBe(200);
        const stageIds: number[] = pipelines.json.data[0].stages.map((s: { id: number }) => s.id);
        expect(stageIds.length).toBe(6);
        const deal = async (i: number, stageId = stageIds[i % stageIds.length] as number) => {
          const created = await call("POST", `/t/${slug}/deals`, {
            title: `Crash deal ${i}`,
            amountCents: 1000 * (t + 1) + 137 * i,
            currency: i % 2 ? "EUR" : "USD",
            stageId,
          });
          expect(created.status).toBe(201);
          return { id: created.json.id as number, stageId };
        };
        const mover = (name: string, deals: { id: number; stageId: number }[]): Mover => ({
          name: `${slug} ${name}`,
          bulk: deals.length > 1,
          dealIds: deals.map((d) => d.id),
          initial: deals.map((d) => d.stageId),
          at: deals.map((d) => d.stageId),
          sent: [],
        });
        // Deals nobody moves: some stage totals change only by the others' moves.
        for (let i = 0; i < 3; i++) await deal(100 + i);
        const group = [];
        for (let i = 0; i < GROUP; i++) group.push(await deal(10 + i, stageIds[2]));
        tenants.push({
          slug,
          key: keys[slug] as string,
          file: files[slug] as string,
          wal: `${realpathSync(files[slug] as string)}-wal`,
          stageIds,
          contacts: [],
          movers: [
            mover("mover 1", [await deal(0)]),
            mover("mover 2", [await deal(1)]),
            mover("bulk group", group),
          ],
        });
      }
    } finally {
      await setupServer.stop();
    }

    /** Every answer that was not the expected one, every failure before a kill, every lost or half write. */
    const wrong: string[] = [];
    /** Which tenant's WAL each round's kill landed in. */
    const killedIn: string[] = [];
    let acked = 0;
    let refusedBusy = 0;
    let target = 0;
    let seq = 0;
    let turn = 0;
    for (let round = 0; round < KILLS && !wrong.length; round++) {
      const server = await startServer({
        dataDir: dir.path,
        // A checkpoint in the pool syncs the WAL too, with no write of a client in it: with
        // none, every sync of a WAL this test sees belongs to a write it sent.
        env: { CRM_CHECKPOINT_WAL_BYTES: String(2 ** 40) },
        wrap: [
          strace,
          "-f",
          "-qq",
          "--seccomp-bpf",
          "-e",
          "trace=fsync,fdatasync",
          "-e",
          `inject=fsync,fdatasync:delay_exit=${SYNC_HOLD}`,
          "-o",
          "/dev/null",
          "--",
        ],
      });
      const pid = childOf(server.pid);
      const goal = ackedBeforeKill(round);
      target += goal;
      let roundAcked = 0;
      /** This round's writer (they take turns) must be acknowledged too: every kind of write crosses kills. */
      const featured = round % (tenants.length * WRITERS);
      let featuredAcked = false;
      let killed = false;
      let reached!: () => void;
      const goalReached = new Promise<void>((resolve) => {
        reached = resolve;
      });
      const fail = (problem: string) => {
        wrong.push(`round ${round}: ${problem}`);
        reached();
      };
      const ack = (writer: number) => {
        acked++;
        roundAcked++;
        if (writer === featured) featuredAcked = true;
        if (roundAcked >= goal && featuredAcked) reached();
      };
      /** One request; undefined if the connection died, which only the kill may cause. */
      const send = async (tenant: Tenant, method: string, path: string, body: unknown, what: string) => {
        try {
          return await api(server.url, tenant.key)(method, `/t/${tenant.slug}${path}`, body);
        } catch (error) {
          if (!killed && !wrong.length) fail(`${what} failed before the kill: ${error}`);
          return undefined;
        }
      };
      // Reading first settles the moves the last kill cut off, and lets the server do its own
      // bookkeeping (an API key's last use) before the writes: every WAL sync from here on
      // belongs to a write a client sent.
      for (const tenant of tenants) {
        for (const mover of tenant.movers) {
          const now: number[] = [];
          for (const id of mover.dealIds) {
            const read = await send(tenant, "GET", `/deals/${id}`, undefined, `a read of deal ${id}`);
            if (read?.status === 200) now.push(read.json.stageId);
            else fail(`a read of deal ${id} answered ${read?.status}`);
          }
          if (now.length === mover.dealIds.length) for (const p of settle(mover, now)) fail(p);
        }
      }

      const contactWriter = async (tenant: Tenant, writer: number) => {
        while (!killed && !wrong.length) {
          const email = `w${seq++}@crash.test`;
          const sent: ContactSent = { round, email, acked: false };
          tenant.contacts.push(sent);
          const body = { firstName: "Crash", lastName: String(seq), email, tags: ["crash"] };
          const answer = await send(tenant, "POST", "/contacts", body, email);
          if (!answer) continue;
          // A bulk move writes in a worker; while it holds the lock, the server's thread waits
          // at most CRM_BUSY_TIMEOUT_MS and refuses with 503 + Retry-After. A retrying client
          // sends the next write; the refused one must not be stored (checked at the end).
          if (answer.status === 503 && answer.headers.get("retry-after")) {
            sent.refused = true;
            refusedBusy++;
            continue;
          }
          if (answer.status !== 201 || answer.json?.email !== email) {
            fail(`${email} answered ${answer.status}: ${answer.text.slice(0, 200)}`);
          } else {
            Object.assign(sent, { acked: true, id: answer.json.id });
            ack(writer);
          }
        }
      };
      const moveWriter = async (tenant: Tenant, mover: Mover, writer: number) => {
        while (!killed && !wrong.length) {
          // A stage none of its deals is in, so a committed move always shows.
          const to = tenant.stageIds
            .map((_, i) => tenant.stageIds[(turn + i) % tenant.stageIds.length] as number)
            .find((stage) => !mover.at.includes(stage)) as number;
          turn += 5;
          const sent: MoveSent = { round, to, acked: false };
          mover.sent.push(sent);
          const what = `${mover.name}: move of ${mover.dealIds} to ${to}`;
          const answer = mover.bulk
            ? await send(
                tenant,
                "POST",
                "/deals/bulk",
                { ids: mover.dealIds, action: "moveStage", stageId: to },
                what,
              )
            : await send(tenant, "PATCH", `/deals/${mover.dealIds[0]}`, { stageId: to }, what);
          if (!answer) continue;
          if (answer.status === 503 && answer.headers.get("retry-after")) {
            // Refused as busy (see contactWriter): no deal may have moved, which the next read checks.
            sent.committed = mover.dealIds.map(() => false);
            refusedBusy++;
            continue;
          }
          const got = mover.bulk ? answer.json : { id: answer.json?.id, stageId: answer.json?.stageId };
          const expected = mover.bulk
            ? { matched: GROUP, changed: GROUP }
            : { id: mover.dealIds[0], stageId: to };
          if (answer.status !== 200 || JSON.stringify(got) !== JSON.stringify(expected)) {
            fail(`${what} answered ${answer.status}: ${answer.text.slice(0, 200)}`);
          } else {
            sent.acked = true;
            sent.committed = mover.dealIds.map(() => true);
            mover.at = mover.dealIds.map(() => to);
            ack(writer);
          }
        }
      };
      const writers = Promise.all(
        tenants.flatMap((tenant, t) => [
          contactWriter(tenant, t * WRITERS),
          ...tenant.movers.map((mover, m) => moveWriter(tenant, mover, t * WRITERS + 1 + m)),
        ]),
      );
      const timer = setTimeout(
        () =>
          fail(
            `${roundAcked} of ${goal} writes acknowledged in ${ROUND_MS} ms (writer ${featured}: ${featuredAcked})`,
          ),
        ROUND_MS,
      );
      try {
        await goalReached;
        clearTimeout(timer);
        // A small random delay, then the next sync of a tenant's WAL, whichever write it is for.
        await Bun.sleep(Math.random() * 3);
        const deadline = Date.now() + ROUND_MS;
        while (!wrong.length) {
          const syncing = syncingFile(pid);
          const tenant = tenants.find((t) => t.wal === syncing);
          if (tenant) {
            killed = true;
            process.kill(pid, "SIGKILL");
            killedIn.push(tenant.slug);
            break;
          }
          if (Date.now() > deadline)
            fail(`no thread of the server was inside a tenant's WAL sync in ${ROUND_MS} ms`);
          await Bun.sleep(1);
        }
      } finally {
        clearTimeout(timer);
        killed = true;
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Already gone.
        }
        await server.proc.exited;
        await writers;
      }
    }

    expect(wrong).toEqual([]);
    expect(killedIn.length).toBe(KILLS);
    // Each round waited for its share of acknowledged writes before its kill.
    expect(acked).toBeGreaterThanOrEqual(target);

    /** Per round, the writes found committed in the file that never got an answer, in the tenant killed mid-sync. */
    const unanswered: string[][] = Array.from({ length: KILLS }, () => []);
    const problems: string[] = [];
    const acknowledged: Record<string, number> = {};
    for (const tenant of tenants) {
      const sqlite = new Database(tenant.file, { readonly: true });
      try {
        expect(sqlite.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });

        const stored = new Map(
          (sqlite.query("SELECT id, email FROM contacts").all() as { id: number; email: string }[]).map(
            (r) => [r.email, r.id],
          ),
        );
        for (const sent of tenant.contacts) {
          const id = stored.get(sent.email);
          if (sent.acked && id !== sent.id) {
            problems.push(`${tenant.slug}: acknowledged ${sent.email} stored as ${id}`);
          }
          if (sent.refused && id !== undefined) {
            problems.push(`${tenant.slug}: ${sent.email} was refused as busy, yet stored as ${id}`);
          }
          if (!sent.acked && id !== undefined && killedIn[sent.round] === tenant.slug) {
            unanswered[sent.round]?.push(sent.email);
          }
        }
        acknowledged[`${tenant.slug} contacts`] = tenant.contacts.filter((s) => s.acked).length;
        // Every stored contact was logged once, in the same transaction: no contact without its
        // log entry, and no log entry without its contact.
        const unlogged = sqlite
          .query(
            `SELECT c.id FROM contacts c WHERE (SELECT count(*) FROM interactions i
               WHERE i.kind = 'contact.created' AND i.subject_type = 'contact' AND i.subject_id = c.id) <> 1`,
          )
          .all();
        expect(unlogged).toEqual([]);
        const orphans = sqlite
          .query(
            `SELECT i.id FROM interactions i WHERE i.kind = 'contact.created'
               AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = i.subject_id)`,
          )
          .all();
        expect(orphans).toEqual([]);

        const stageOf = sqlite.query("SELECT stage_id AS stageId FROM deals WHERE id = ?");
        const movesOf = sqlite.query(
          `SELECT payload FROM interactions WHERE kind = 'deal.stage_changed' AND subject_type = 'deal'
             AND subject_id = ? ORDER BY id`,
        );
        for (const mover of tenant.movers) {
          const now = mover.dealIds.map((id) => (stageOf.get(id) as { stageId: number }).stageId);
          problems.push(...settle(mover, now));
          for (const [i, id] of mover.dealIds.entries()) {
            // The deal's log holds exactly its committed moves, in order, each from where the
            // last one left it, ending where the deal is: no move without its log entry.
            const logged = (movesOf.all(id) as { payload: string }[]).map((r) => {
              const { fromStageId, toStageId } = JSON.parse(r.payload) as Record<string, number>;
              return `${fromStageId}->${toStageId}`;
            });
            const stages = [mover.initial[i], ...mover.sent.filter((s) => s.committed?.[i]).map((s) => s.to)];
            const committed = stages.slice(1).map((to, k) => `${stages[k]}->${to}`);
            const k = committed.findIndex((move, n) => logged[n] !== move);
            if (k >= 0 || logged.length !== committed.length) {
              const at = k >= 0 ? k : committed.length;
              problems.push(
                `${mover.name}: deal ${id}'s move ${at + 1} of ${committed.length} committed is ${committed[at]}, its log says ${logged[at]}`,
              );
            }
          }
          for (const sent of mover.sent) {
            if (!sent.acked && sent.committed?.some(Boolean) && killedIn[sent.round] === tenant.slug) {
              unanswered[sent.round]?.push(`${mover.name} to ${sent.to}`);
            }
          }
          acknowledged[mover.name] = mover.sent.filter((s) => s.acked).length;
        }

        // The board's totals, kept by triggers in each move's transaction, are the deals' real sums.
        const kept = sqlite
          .query(
            "SELECT stage_id AS stage, currency, deals, amount_cents AS cents FROM stage_totals ORDER BY stage_id, currency",
          )
          .all();
        const real = sqlite
          .query(
            `SELECT stage_id AS stage, currency, count(*) AS deals, sum(amount_cents) AS cents FROM deals
               GROUP BY stage_id, currency ORDER BY stage_id, currency`,
          )
          .all();
        expect(real.length).toBeGreaterThan(2);
        expect({ tenant: tenant.slug, totals: kept }).toEqual({ tenant: tenant.slug, totals: real });
      } finally {
        sqlite.close();
      }
      // FTS5 raises SQLITE_CORRUPT_VTAB here if the index disagrees with the table.
      const writable = new Database(tenant.file);
      try {
        expect(() =>
          writable.run("INSERT INTO contacts_fts(contacts_fts) VALUES ('integrity-check')"),
        ).not.toThrow();
      } finally {
        writable.close();
      }
    }

    console.log(`crash test: ${JSON.stringify({ killedIn, unanswered, acked, refusedBusy, acknowledged })}`);
    expect(problems).toEqual([]);
    // Every kind of write, in both tenants, was acknowledged and so crossed kills.
    expect(Object.keys(acknowledged).length).toBe(tenants.length * WRITERS);
    expect(Object.entries(acknowledged).filter(([, n]) => n === 0)).toEqual([]);
    // Each kill landed mid-write on the server's side: the write it was syncing is in the file, unanswered.
    expect(unanswered.map((u, round) => ({ round, found: u.length > 0 }))).toEqual(
      unanswered.map((_, round) => ({ round, found: true })),
    );
  }, 600_000);
});
