import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * The writes that fan out to every record they reach (a stage's kind, a removed user's records,
 * a custom field's options or deletion)
 * run in a worker when large (src/http/in-pool-when-large.ts): through the real server, a
 * 30,000-record change leaves /healthz answering at once meanwhile (on the server's thread the
 * same change holds the loop ~0.45 s), and gives what the same change gives inline on a small
 * workspace: the same answer, the same records, the same feed entries, the same refusals.
 */

const BIG = "fan-big";
const SMALL = "fan-small";
const SIZES = { [BIG]: 30_000, [SMALL]: 500 } as const;
type Slug = keyof typeof SIZES;

let server: TestServer;
const dir = tempDir();
let data: DataDir;
const calls = {} as Record<Slug, ReturnType<typeof api>>;
const owners = {} as Record<Slug, BrowserClient>;
const stageOf = {} as Record<Slug, { id: number; pipelineId: number }>;
const leaverOf = {} as Record<Slug, number>;

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
type Json = any;

const query = <T>(slug: Slug, sql: string, ...params: (string | number)[]): Promise<T[]> =>
  data.shards.use(data.get(slug), (s) => s.statement(sql).all(...params) as T[]);

/** N deals in the first stage and N contacts owned by a member who will leave, in one transaction. */
async function fill(slug: Slug): Promise<void> {
  const n = SIZES[slug];
  await data.shards.use(data.get(slug), (s) => {
    const stage = s
      .statement("SELECT id, pipeline_id AS pipelineId FROM stages ORDER BY id LIMIT 1")
      .get() as { id: number; pipelineId: number };
    stageOf[slug] = stage;
    const now = Date.now() - 60_000;
    s.transaction(() => {
      const { id } = s
        .statement(
          "INSERT INTO users (email, name, password_hash, role, created_at, updated_at) VALUES ('leaver@fan.test', 'Leaver', 'x', 'member', ?, ?) RETURNING id",
        )
        .get(now, now) as { id: number };
      leaverOf[slug] = id;
      s.statement(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO deals (title, amount_cents, currency, pipeline_id, stage_id, status, stage_entered_at, created_at, updated_at)
         SELECT 'Deal ' || i, i * 100, 'EUR', ?, ?, 'open', ?, ?, ? FROM n`,
      ).run(n, stage.pipelineId, stage.id, now, now, now);
      s.statement(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO contacts (first_name, last_name, email, owner_id, created_at, updated_at)
         SELECT 'P' || i, 'Q' || i, 'p' || i || '@fan.test', ?, ?, ? FROM n`,
      ).run(n, id, now, now);
    });
  });
}

/** Probes /healthz one after another until `work` settles; returns its result and each probe's time. */
async function probedWhile<T>(work: Promise<T>): Promise<{ result: T; probes: number[] }> {
  let done = false;
  const settled = work.finally(() => {
    done = true;
  });
  const probes: number[] = [];
  while (!done) {
    const started = performance.now();
    const response = await fetch(`${server.url}/healthz`);
    await response.text();
    probes.push(performance.now() - started);
    await Bun.sleep(5);
  }
  return { result: await settled, probes };
}

/**
 * The loop stays free: the median probe under 20 ms and none over 100 ms, but one, which must
 * still be under 250 ms: on the shared 2-core box (load 7–8) the scheduler was seen to delay one
 * probe in ~90 by 140–210 ms (as test/noisy-neighbour.test.ts forgives one stall). The same
 * write on the server's thread holds it 410–470 ms, so every probe meanwhile waits that long.
 */
function expectQuickProbes(probes: number[]): void {
  const sorted = [...probes].sort((x, y) => x - y);
  // The write takes a few hundred ms in its worker: enough probes to judge the loop by.
  expect(sorted.length).toBeGreaterThanOrEqual(5);
  expect(sorted[Math.floor(sorted.length / 2)] as number).toBeLessThan(20);
  expect(sorted.filter((ms) => ms >= 100).length).toBeLessThanOrEqual(1);
  expect(sorted.at(-1) as number).toBeLessThan(250);
}

/** A feed entry's payload with its timestamps and the leaver's id blanked (they differ between workspaces). */
const sameShape = (slug: Slug, payload: string) =>
  payload.replace(/"\d{4}-\d\d-\d\dT[^"]+"/g, '"<time>"').replaceAll(String(leaverOf[slug]), "<leaver>");

/** What a change left: the entries it logged (count, distinct payload shapes) for `kind`. */
async function logged(slug: Slug, kind: string) {
  const rows = await query<{ payload: string }>(
    slug,
    "SELECT payload FROM interactions WHERE kind = ?",
    kind,
  );
  return { count: rows.length, shapes: [...new Set(rows.map((r) => sameShape(slug, r.payload)))].sort() };
}

beforeAll(async () => {
  server = await startServer({ dataDir: dir.path });
  data = new DataDir(dir.path);
  for (const slug of [BIG, SMALL] as Slug[]) {
    await data.tenant(slug);
    await fill(slug);
    calls[slug] = api(server.url, await data.apiKey(slug, "owner"));
    owners[slug] = await signIn(server.url, slug, `owner@${slug}.test`);
  }
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

describe("a stage's kind change over 30,000 deals", () => {
  const patch = (slug: Slug, body: object, headers: Record<string, string> = {}) =>
    calls[slug]("PATCH", `/t/${slug}/stages/${stageOf[slug].id}`, body, headers);

  it("refuses a stale If-Match in the worker's transaction: 412, nothing written", async () => {
    const stale = await patch(BIG, { kind: "won" }, { "if-match": '"AAAAAAAAAAAAAAAAAAAAAA"' });
    expect(stale.status).toBe(412);
    expect(stale.json.title).toBe("Precondition Failed");
    expect(await query(BIG, "SELECT 1 FROM deals WHERE status <> 'open' LIMIT 1")).toEqual([]);
    expect((await logged(BIG, "deal.updated")).count).toBe(0);
  });

  it("refuses a bad patch from the worker with the inline path's 422 and issues", async () => {
    const big = await patch(BIG, { kind: "won", probability: 500 });
    const small = await patch(SMALL, { kind: "won", probability: 500 });
    expect(big.status).toBe(422);
    expect(big.json).toEqual(small.json);
    expect((await logged(BIG, "deal.updated")).count).toBe(0);
  });

  it("keeps /healthz quick meanwhile and gives the inline path's result", async () => {
    const results = {} as Record<Slug, { status: number; json: Json }>;
    for (const slug of [BIG, SMALL] as Slug[]) {
      const read = await calls[slug]("GET", `/t/${slug}/pipelines/${stageOf[slug].pipelineId}`);
      const ifMatch = read.headers.get("etag") as string;
      const { result, probes } = await probedWhile(patch(slug, { kind: "won" }, { "if-match": ifMatch }));
      if (slug === BIG) expectQuickProbes(probes);
      results[slug] = result;
    }
    expect(results[BIG].status).toBe(200);
    const shape = (json: Json) => json.stages.map((s: Json) => [s.name, s.kind, s.probability, s.position]);
    expect(shape(results[BIG].json)).toEqual(shape(results[SMALL].json));
    expect(results[BIG].json.stages[0].kind).toBe("won");
    for (const slug of [BIG, SMALL] as Slug[]) {
      const n = SIZES[slug];
      expect(
        (
          await query<{ n: number }>(
            slug,
            `SELECT count(*) AS n FROM deals d WHERE status = 'won' AND closed_at IS NOT NULL
             AND updated_at = (SELECT max(occurred_at) FROM interactions WHERE kind = 'deal.updated')`,
          )
        )[0]?.n,
      ).toBe(n);
      expect((await logged(slug, "deal.updated")).count).toBe(n);
    }
    expect((await logged(BIG, "deal.updated")).shapes).toEqual((await logged(SMALL, "deal.updated")).shapes);
  });
  it("finishes the write when the client hangs up midway (runToEnd): every deal changes, none half", async () => {
    const key = await data.apiKey(BIG, "owner");
    const hangUp = new AbortController();
    const sent = fetch(`${server.url}/api/v1/t/${BIG}/stages/${stageOf[BIG].id}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ kind: "lost" }),
      signal: hangUp.signal,
    }).catch(() => "aborted");
    await Bun.sleep(50);
    hangUp.abort();
    expect(await sent).toBe("aborted");
    const lost = async () =>
      (await query<{ n: number }>(BIG, "SELECT count(*) AS n FROM deals WHERE status = 'lost'"))[0]?.n;
    for (let waited = 0; waited < 10_000 && (await lost()) !== SIZES[BIG]; waited += 100)
      await Bun.sleep(100);
    expect(await lost()).toBe(SIZES[BIG]);
    expect((await logged(BIG, "deal.updated")).count).toBe(2 * SIZES[BIG]);
  });
});

describe("removing a user who owns 30,000 contacts (Settings → Users)", () => {
  it("keeps /healthz quick meanwhile and gives the inline path's result", async () => {
    const statuses = {} as Record<Slug, number>;
    for (const slug of [BIG, SMALL] as Slug[]) {
      const removal = owners[slug].post(`/t/${slug}/settings/users/${leaverOf[slug]}/delete`, {});
      const { result, probes } = await probedWhile(removal);
      if (slug === BIG) expectQuickProbes(probes);
      statuses[slug] = result.status;
    }
    expect(statuses).toEqual({ [BIG]: 303, [SMALL]: 303 });
    for (const slug of [BIG, SMALL] as Slug[]) {
      expect(await query(slug, "SELECT id FROM users WHERE id = ?", leaverOf[slug])).toEqual([]);
      expect(await query(slug, "SELECT 1 FROM contacts WHERE owner_id IS NOT NULL LIMIT 1")).toEqual([]);
      expect((await logged(slug, "contact.updated")).count).toBe(SIZES[slug]);
    }
    expect((await logged(BIG, "contact.updated")).shapes).toEqual(
      (await logged(SMALL, "contact.updated")).shapes,
    );
  });

  it("refuses removing yourself from a worker with the page's 422, nothing written", async () => {
    const [me] = await query<{ id: number }>(
      BIG,
      "SELECT id FROM users WHERE email = ?",
      `owner@${BIG}.test`,
    );
    const myId = me?.id as number;
    // Owning 3,000 contacts sends the removal to a worker, which refuses it.
    data.shards.use(data.get(BIG), (s) =>
      s
        .statement("UPDATE contacts SET owner_id = ? WHERE id IN (SELECT id FROM contacts LIMIT 3000)")
        .run(myId),
    );
    const before = (await logged(BIG, "contact.updated")).count;
    const refused = await owners[BIG].post(`/t/${BIG}/settings/users/${myId}/delete`, {});
    expect(refused.status).toBe(422);
    expect(refused.text).toContain("you cannot remove yourself");
    expect(await query(BIG, "SELECT count(*) AS n FROM contacts WHERE owner_id = ?", myId)).toEqual([
      { n: 3000 },
    ]);
    expect((await logged(BIG, "contact.updated")).count).toBe(before);
  });
});

describe("a custom field held by 30,000 contacts", () => {
  /** A field on contacts (API), and a value of it for every contact (SQL, in one statement). */
  async function heldField(slug: Slug, body: object, value: string): Promise<number> {
    const made = await calls[slug]("POST", `/t/${slug}/custom-fields`, body);
    expect(made.status).toBe(201);
    await data.shards.use(data.get(slug), (s) =>
      s
        .statement(
          "INSERT INTO custom_values (field_id, record_id, text_value) SELECT ?, id, ? FROM contacts",
        )
        .run(made.json.id, value),
    );
    return made.json.id;
  }
  const fieldOf = {} as Record<Slug, { select: number; text: number }>;

  beforeAll(async () => {
    for (const slug of [BIG, SMALL] as Slug[]) {
      fieldOf[slug] = {
        select: await heldField(
          slug,
          { entity: "contact", key: "tier", label: "Tier", type: "select", options: ["gold", "silver"] },
          "gold",
        ),
        text: await heldField(slug, { entity: "contact", key: "note", label: "Note", type: "text" }, "hello"),
      };
    }
  });

  it("taking an option off (API, If-Match) keeps /healthz quick and gives the inline path's result", async () => {
    const stale = await calls[BIG](
      "PATCH",
      `/t/${BIG}/custom-fields/${fieldOf[BIG].select}`,
      { options: ["silver"] },
      { "if-match": '"AAAAAAAAAAAAAAAAAAAAAA"' },
    );
    expect(stale.status).toBe(412);
    expect(
      await query(BIG, "SELECT count(*) AS n FROM custom_values WHERE field_id = ?", fieldOf[BIG].select),
    ).toEqual([{ n: SIZES[BIG] }]);
    const answers = {} as Record<Slug, Json>;
    for (const slug of [BIG, SMALL] as Slug[]) {
      const path = `/t/${slug}/custom-fields/${fieldOf[slug].select}`;
      const ifMatch = (await calls[slug]("GET", path)).headers.get("etag") as string;
      const change = calls[slug]("PATCH", path, { options: ["silver"] }, { "if-match": ifMatch });
      const { result, probes } = await probedWhile(change);
      if (slug === BIG) expectQuickProbes(probes);
      expect(result.status).toBe(200);
      answers[slug] = { ...result.json, id: 0, createdAt: 0 };
      expect(
        await query(slug, "SELECT 1 FROM custom_values WHERE field_id = ?", fieldOf[slug].select),
      ).toEqual([]);
    }
    expect(answers[BIG]).toEqual(answers[SMALL]);
    expect((await logged(BIG, "contact.updated")).shapes).toEqual(
      (await logged(SMALL, "contact.updated")).shapes,
    );
  });

  it("deleting it (Settings → Custom fields) keeps /healthz quick and gives the inline path's result", async () => {
    const before = {} as Record<Slug, number>;
    for (const slug of [BIG, SMALL] as Slug[]) {
      before[slug] = (await logged(slug, "contact.updated")).count;
      const removal = owners[slug].post(`/t/${slug}/settings/fields/${fieldOf[slug].text}/delete`, {});
      const { result, probes } = await probedWhile(removal);
      if (slug === BIG) expectQuickProbes(probes);
      expect(result.status).toBe(303);
      expect(await query(slug, "SELECT 1 FROM custom_fields WHERE id = ?", fieldOf[slug].text)).toEqual([]);
      expect((await logged(slug, "contact.updated")).count).toBe(before[slug] + SIZES[slug]);
    }
    expect((await logged(BIG, "contact.updated")).shapes).toEqual(
      (await logged(SMALL, "contact.updated")).shapes,
    );
  });
});
