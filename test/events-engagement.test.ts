import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { pack } from "msgpackr";
import { eventsWorkspace } from "./support/events-workspace.ts";
import type { TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import type { DataDir } from "./support/workspace.ts";

/**
 * The per-contact engagement summary kept with each batch of events, through the real server:
 * after batches that name contacts by id and by email (the same contact both ways in one batch),
 * out of time order, with equal times, it equals the summary computed in SQL from the stored
 * events (count, first and last time, the payload of the latest by time then id).
 */
const HOME = "engagement-co";
const PEOPLE = 12;
const KINDS = ["web.visit", "email.opened", "email.clicked", "form.submitted"];

const dir = tempDir();
let data: DataDir;
let member: string;
let server: TestServer;
let contactIds: number[] = [];

beforeAll(async () => {
  ({ data, member, server, contactIds } = await eventsWorkspace(dir.path, HOME, PEOPLE, "E"));
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

/** A fixed pseudo-random sequence (mulberry32; no wall clock, no Math.random): the same batches every run. */
function random(seed: number) {
  let state = seed >>> 0;
  return (n: number) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

async function summaryOnFile() {
  return await data.shards.use(data.get(HOME), (s) => ({
    kept: s
      .statement(
        "SELECT contact_id, kind, count, first_at, last_at, last_payload FROM contact_engagement ORDER BY contact_id, kind",
      )
      .all(),
    computed: s
      .statement(
        `SELECT contact_id, kind, count(*) AS count, min(occurred_at) AS first_at, max(occurred_at) AS last_at,
           (SELECT payload FROM events l WHERE l.contact_id = e.contact_id AND l.kind = e.kind
            ORDER BY l.occurred_at DESC, l.id DESC LIMIT 1) AS last_payload
         FROM events e GROUP BY contact_id, kind ORDER BY contact_id, kind`,
      )
      .all(),
  }));
}

describe("the contact engagement summary", () => {
  it("equals the summary of the stored events after batches naming contacts both ways, out of order, with ties", async () => {
    const next = random(7);
    const base = Date.now() - 10 * 60_000;
    for (const round of [0, 1, 2, 3]) {
      const events = Array.from({ length: 400 }, (_, i) => {
        const person = next(PEOPLE);
        const how = next(3);
        return {
          type: KINDS[next(KINDS.length)],
          // Times on a coarse grid: many events share one, so the id decides the latest.
          occurredAt: base + next(20) * 1000,
          ...(how === 0 ? { contactId: contactIds[person] } : {}),
          ...(how === 1 ? { email: `E${person}@Example.com` } : {}),
          ...(how === 2 ? { contactId: contactIds[person], email: `e${person}@example.com` } : {}),
          url: `https://shop.example/r${round}/${i}`,
        };
      });
      const response = await fetch(`${server.url}/api/v1/t/${HOME}/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${member}`, "content-type": "application/msgpack" },
        body: new Uint8Array(pack(events)),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ stored: 400, rejected: [] });
    }
    const { kept, computed } = await summaryOnFile();
    expect(computed.length).toBeGreaterThan(PEOPLE * 3);
    expect(kept).toEqual(computed);
  }, 60_000);
});
