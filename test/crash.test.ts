import { Database } from "bun:sqlite";
import { afterAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { startServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

/** Kills that must each cut off at least one write the server had not answered. */
const KILLS = 20;
/** Rounds allowed in all: a round whose kill cut nothing off is not counted, and run again. */
const MAX_ROUNDS = 3 * KILLS;
/** Writers per tenant, each with one request in flight at a time. */
const WRITERS = 2;
/** A round waits this long at most for its acknowledged writes, so a server that answers nothing fails. */
const ROUND_MS = 60_000;
/** Writes acknowledged in a round before its kill may land: varies by round, so kills land at different points. */
const ackedBeforeKill = (round: number) => 3 + ((round * 7) % 11);

const dir = tempDir();
afterAll(() => dir.remove());

interface Round {
  acked: number;
  inFlight: number;
  /** Requests in flight when SIGKILL was sent; undefined until then. */
  inFlightAtKill?: number;
  /** Requests that got no answer because the server died under them. */
  cutOff: number;
}

/**
 * Acknowledged writes survive the process being killed at any moment: clients write contacts
 * through the API while the server is SIGKILLed mid-write and restarted. (SIGKILL leaves the page
 * cache in place, so this proves atomicity and acknowledgement order, not the sync to disk:
 * durability.test.ts counts the syncs.)
 */
describe("crash safety", () => {
  it(`keeps every acknowledged write across ${KILLS} SIGKILLs that each cut off writes in flight, and every shard passes integrity_check`, async () => {
    const data = new DataDir(dir.path);
    const slugs = ["crash-a", "crash-b"];
    const keys: Record<string, string> = {};
    for (const slug of slugs) {
      await data.tenant(slug);
      keys[slug] = await data.apiKey(slug);
    }
    const files = slugs.map((s) => data.get(s).file);
    data.close();

    const acknowledged = new Map<string, { slug: string; id: number }>();
    /** Every answer that was not a 201, and every failure before a kill: any one fails the test. */
    const wrong: string[] = [];
    const rounds: Round[] = [];
    let attempted = 0;
    let seq = 0;
    let target = 0;
    while (rounds.filter((r) => r.cutOff > 0).length < KILLS && rounds.length < MAX_ROUNDS && !wrong.length) {
      const server = await startServer({ dataDir: dir.path });
      const round: Round = { acked: 0, inFlight: 0, cutOff: 0 };
      rounds.push(round);
      const goal = ackedBeforeKill(rounds.length);
      target += goal;
      let roundOver!: () => void;
      const over = new Promise<void>((resolve) => {
        roundOver = resolve;
      });
      const fail = (problem: string) => {
        wrong.push(`round ${rounds.length}: ${problem}`);
        roundOver();
      };
      // Called after every answer: the kill lands once enough writes were acknowledged and while
      // others are still in flight, in the same tick as the check.
      const maybeKill = () => {
        if (round.inFlightAtKill === undefined && round.acked >= goal && round.inFlight > 0) {
          round.inFlightAtKill = round.inFlight;
          server.proc.kill("SIGKILL");
          roundOver();
        }
      };
      const writer = async (slug: string) => {
        while (round.inFlightAtKill === undefined && !wrong.length) {
          const email = `w${seq++}@crash.test`;
          attempted++;
          round.inFlight++;
          let answer: { status: number; body: string } | undefined;
          let failure: unknown;
          try {
            const response = await fetch(`${server.url}/api/v1/t/${slug}/contacts`, {
              method: "POST",
              headers: { authorization: `Bearer ${keys[slug]}`, "content-type": "application/json" },
              body: JSON.stringify({ firstName: "Crash", lastName: String(seq), email, tags: ["crash"] }),
            });
            answer = { status: response.status, body: await response.text() };
          } catch (error) {
            failure = error;
          }
          round.inFlight--;
          if (!answer) {
            // Only the kill may take a connection down.
            if (round.inFlightAtKill !== undefined) round.cutOff++;
            else if (!wrong.length) fail(`${email} failed before the kill: ${failure}`);
          } else if (answer.status === 201) {
            acknowledged.set(email, { slug, id: (JSON.parse(answer.body) as { id: number }).id });
            round.acked++;
            maybeKill();
          } else {
            fail(`${email} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
          }
        }
      };
      const writers = Promise.all(
        slugs.flatMap((slug) => Array.from({ length: WRITERS }, () => writer(slug))),
      );
      const roundTimer = setTimeout(
        () => fail(`${round.acked} of ${goal} writes acknowledged in ${ROUND_MS} ms`),
        ROUND_MS,
      );
      await over;
      clearTimeout(roundTimer);
      server.proc.kill("SIGKILL");
      await server.proc.exited;
      await writers;
    }

    const kills = rounds.filter((r) => r.cutOff > 0);
    const summary = {
      rounds: rounds.length,
      killsCuttingOffWrites: kills.length,
      inFlightAtKills: rounds.map((r) => r.inFlightAtKill),
      cutOff: rounds.map((r) => r.cutOff),
      acknowledged: acknowledged.size,
      attempted,
      wrong: wrong.length,
    };
    console.log(`crash test: ${JSON.stringify(summary)}`);
    expect(wrong).toEqual([]);
    expect(kills.length).toBe(KILLS);
    for (const round of rounds) expect(round.inFlightAtKill).toBeGreaterThan(0);
    // Each round waited for its share of acknowledged writes before its kill.
    expect(acknowledged.size).toBeGreaterThanOrEqual(target);

    for (const [i, slug] of slugs.entries()) {
      const sqlite = new Database(join(dir.path, files[i] as string), { readonly: true });
      try {
        expect(sqlite.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
        const stored = new Map(
          (sqlite.query("SELECT id, email FROM contacts").all() as { id: number; email: string }[]).map(
            (r) => [r.email, r.id],
          ),
        );
        const ours = [...acknowledged].filter(([, ack]) => ack.slug === slug);
        expect(ours.length).toBeGreaterThan(0);
        const lost = ours.filter(([email, ack]) => stored.get(email) !== ack.id);
        expect(lost.map(([email, ack]) => ({ email, id: ack.id, stored: stored.get(email) }))).toEqual([]);
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
      } finally {
        sqlite.close();
      }
      // FTS5 raises SQLITE_CORRUPT_VTAB here if the index disagrees with the table.
      const writable = new Database(join(dir.path, files[i] as string));
      try {
        expect(() =>
          writable.run("INSERT INTO contacts_fts(contacts_fts) VALUES ('integrity-check')"),
        ).not.toThrow();
      } finally {
        writable.close();
      }
    }
  }, 600_000);
});
