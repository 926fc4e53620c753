import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * A hostile trial of Idempotency-Key, externalId, the exact filters and POST /<kind>/batch,
 * through the real server, as a client that retries, times out, disconnects and races, and as
 * an attacker. A promise that holds is a passing test; a defect is an `it.skip("DEFECT: …")`
 * whose body fails today (remove the skip once it is fixed).
 */
type ApiCall = ReturnType<typeof api>;
const HOME = "trial-home";
const OTHER = "trial-other";
const dir = tempDir();
let data: DataDir;
let server: TestServer;
/** HOME's owner key (raw, for the fetches a test aborts itself) and callers of both workspaces. */
let ownerKey: string;
let call: ApiCall;
let otherCall: ApiCall;

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(HOME);
  await data.tenant(OTHER);
  server = await startServer({ dataDir: dir.path });
  ownerKey = await data.apiKey(HOME, "owner");
  call = api(server.url, ownerKey);
  otherCall = api(server.url, await data.apiKey(OTHER, "owner"));
});
afterAll(async () => {
  await server?.stop();
  data.close();
  dir.remove();
});

let counter = 0;
const newKey = (tag = "k") => `${tag}-${Date.now().toString(36)}-${++counter}`;
const scalarIn = (slug: string, sql: string, ...params: (string | number)[]) =>
  data.shards.use(data.get(slug), (shard) => (shard.statement(sql).get(...params) as { n: number }).n);
const count = (sql: string, ...params: (string | number)[]) => scalarIn(HOME, sql, ...params);
const contacts = () => count("SELECT count(*) AS n FROM contacts");

/** Starts a server of its own (other settings: processes, a small pool, a tight rate limit) for one test. */
async function ownServer<T>(
  env: Record<string, string>,
  work: (own: ApiCall, ownServer: TestServer, ownData: DataDir) => Promise<T>,
): Promise<T> {
  const ownDir = tempDir();
  const ownData = new DataDir(ownDir.path);
  await ownData.tenant("own");
  const started = await startServer({ dataDir: ownDir.path, env });
  try {
    return await work(api(started.url, await ownData.apiKey("own", "owner")), started, ownData);
  } finally {
    await started.stop();
    ownData.close();
    ownDir.remove();
  }
}

const ownCount = (ownData: DataDir, sql: string, ...params: (string | number)[]) =>
  ownData.shards.use(ownData.get("own"), (shard) => (shard.statement(sql).get(...params) as { n: number }).n);

describe("Idempotency-Key under retries, races and disconnects", () => {
  it("writes once when one key races across two server processes (single POST and batch)", async () => {
    await ownServer({ CRM_PROCS: "2" }, async (own, group, ownData) => {
      await group.waitForLine((l) => l.msg === "group listening");
      for (let round = 0; round < 4; round++) {
        const key = newKey("procs");
        const before = await ownCount(ownData, "SELECT count(*) AS n FROM contacts");
        // `Connection: close` so the kernel spreads the requests over both processes.
        const answers = await Promise.all(
          Array.from({ length: 10 }, () =>
            own(
              "POST",
              "/t/own/contacts",
              { firstName: "Racer" },
              { "Idempotency-Key": key, connection: "close" },
            ),
          ),
        );
        expect(await ownCount(ownData, "SELECT count(*) AS n FROM contacts")).toBe(before + 1);
        expect(answers.every((a) => a.status === 201 || a.status === 409)).toBe(true);
        expect(new Set(answers.filter((a) => a.status === 201).map((a) => a.json.id)).size).toBe(1);
      }
      const key = newKey("procs-batch");
      const items = Array.from({ length: 50 }, (_, i) => ({ firstName: `B${i}` }));
      const before = await ownCount(ownData, "SELECT count(*) AS n FROM contacts");
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          own(
            "POST",
            "/t/own/contacts/batch",
            { mode: "create", items },
            { "Idempotency-Key": key, connection: "close" },
          ),
        ),
      );
      expect(await ownCount(ownData, "SELECT count(*) AS n FROM contacts")).toBe(before + 50);
      expect(answers.every((a) => a.status === 200 || a.status === 409)).toBe(true);
      const bodies = new Set(answers.filter((a) => a.status === 200).map((a) => a.text));
      expect(bodies.size).toBe(1);
    });
  }, 60_000);

  it("applies an aborted batch exactly once: the retry with the same key is never stuck on 409 and never writes twice", async () => {
    for (let round = 0; round < 12; round++) {
      const key = newKey("abort");
      const items = Array.from({ length: 100 }, (_, i) => ({
        firstName: `A${i}`,
        lastName: "x".repeat(100),
        externalId: `${key}-${i}`,
      }));
      const body = JSON.stringify({ mode: "upsert", items });
      const controller = new AbortController();
      const sent = fetch(`${server.url}/api/v1/t/${HOME}/contacts/batch`, {
        method: "POST",
        body,
        signal: controller.signal,
        headers: {
          authorization: `Bearer ${ownerKey}`,
          "content-type": "application/json",
          "Idempotency-Key": key,
        },
      }).then(
        (r) => r.status,
        () => "aborted",
      );
      setTimeout(() => controller.abort(), 2 + (round % 6) * 5);
      await sent;
      let retry = await call("POST", `/t/${HOME}/contacts/batch`, body, { "Idempotency-Key": key });
      for (let tries = 0; retry.status === 409 && tries < 100; tries++) {
        await Bun.sleep(20);
        retry = await call("POST", `/t/${HOME}/contacts/batch`, body, { "Idempotency-Key": key });
      }
      expect(retry.status).toBe(200);
      expect(await count("SELECT count(*) AS n FROM contacts WHERE external_id LIKE ?", `${key}-%`)).toBe(
        100,
      );
    }
  }, 60_000);

  it("lets a key whose request was refused (422) be sent again with a corrected body, applied once", async () => {
    const key = newKey("fix");
    const before = await contacts();
    const refused = await call(
      "POST",
      `/t/${HOME}/contacts`,
      { firstName: "", email: "nope" },
      { "Idempotency-Key": key },
    );
    expect(refused.status).toBe(422);
    const fixed = await call(
      "POST",
      `/t/${HOME}/contacts`,
      { firstName: "Fixed" },
      { "Idempotency-Key": key },
    );
    expect(fixed.status).toBe(201);
    expect(fixed.headers.get("Idempotency-Replayed")).toBeNull();
    const again = await call(
      "POST",
      `/t/${HOME}/contacts`,
      { firstName: "Fixed" },
      { "Idempotency-Key": key },
    );
    expect(again.headers.get("Idempotency-Replayed")).toBe("true");
    expect(await contacts()).toBe(before + 1);
    // The same for a refused batch: the corrected batch under the same key is applied.
    const batchKey = newKey("fix-batch");
    const bad = await call(
      "POST",
      `/t/${HOME}/contacts/batch`,
      { mode: "create", items: [{ firstName: "Ok" }, { firstName: 5 }] },
      { "Idempotency-Key": batchKey },
    );
    expect(bad.status).toBe(422);
    const good = await call(
      "POST",
      `/t/${HOME}/contacts/batch`,
      { mode: "create", items: [{ firstName: "Ok" }, { firstName: "Five" }] },
      { "Idempotency-Key": batchKey },
    );
    expect(good.status).toBe(200);
    expect(await contacts()).toBe(before + 3);
  });

  it("replays a create after its record was deleted: 201, the same body and Location, nothing created again", async () => {
    const key = newKey("deleted");
    const first = await call(
      "POST",
      `/t/${HOME}/contacts`,
      { firstName: "Gone" },
      { "Idempotency-Key": key },
    );
    expect(first.status).toBe(201);
    expect((await call("DELETE", `/t/${HOME}/contacts/${first.json.id}`)).status).toBeLessThan(300);
    const before = await contacts();
    const replay = await call(
      "POST",
      `/t/${HOME}/contacts`,
      { firstName: "Gone" },
      { "Idempotency-Key": key },
    );
    expect(replay.status).toBe(201);
    expect(replay.text).toBe(first.text);
    expect(replay.headers.get("Location")).toBe(first.headers.get("Location"));
    expect(replay.headers.get("Idempotency-Replayed")).toBe("true");
    expect(await contacts()).toBe(before);
  });

  it("takes keys of every printable ASCII character, and the same key around HTTP's optional spaces", async () => {
    const punctuation = `!"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~${newKey()}`;
    const first = await call(
      "POST",
      `/t/${HOME}/contacts`,
      { firstName: "Punct" },
      { "Idempotency-Key": punctuation },
    );
    expect(first.status).toBe(201);
    // A header's leading and trailing spaces are not part of its value (RFC 9110 OWS).
    const spaced = await call(
      "POST",
      `/t/${HOME}/contacts`,
      { firstName: "Punct" },
      { "Idempotency-Key": `  ${punctuation}\t` },
    );
    expect(spaced.status).toBe(201);
    expect(spaced.headers.get("Idempotency-Replayed")).toBe("true");
    expect(spaced.json.id).toBe(first.json.id);
    // Two headers are one comma-joined value with a space: refused, not taken as either key.
    const headers = new Headers({ authorization: "x" });
    headers.append("Idempotency-Key", "a");
    headers.append("Idempotency-Key", "b");
    expect(headers.get("Idempotency-Key")).toBe("a, b");
    const twice = await call(
      "POST",
      `/t/${HOME}/contacts`,
      { firstName: "Twice" },
      { "Idempotency-Key": "a, b" },
    );
    expect(twice.status).toBe(400);
  });

  it("answers a flood of batches with 503 + Retry-After when its workspace's line is full; the refused ones wrote nothing and their retry applies once", async () => {
    await ownServer(
      { CRM_WORKERS: "1", CRM_WORKER_QUEUE: "1", CRM_WORKER_PER_WORKSPACE: "2" },
      async (own, _server, ownData) => {
        // One batch runs, 32 wait in the workspace's line (src/batch/batch-lines.ts): 40 overflow it.
        const keys = Array.from({ length: 40 }, () => newKey("busy"));
        const body = (key: string) => ({
          mode: "upsert",
          items: Array.from({ length: 20 }, (_, i) => ({ firstName: `F${i}`, externalId: `${key}-${i}` })),
        });
        const answers = await Promise.all(
          keys.map((key) => own("POST", "/t/own/contacts/batch", body(key), { "Idempotency-Key": key })),
        );
        const statuses = answers.map((a) => a.status);
        expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
        expect(statuses).toContain(503);
        for (const refused of answers.filter((a) => a.status === 503))
          expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
        const written = statuses.filter((s) => s === 200).length;
        expect(await ownCount(ownData, "SELECT count(*) AS n FROM contacts")).toBe(written * 20);
        for (const key of keys) {
          let again = await own("POST", "/t/own/contacts/batch", body(key), { "Idempotency-Key": key });
          for (let tries = 0; again.status === 503 && tries < 50; tries++) {
            await Bun.sleep(50);
            again = await own("POST", "/t/own/contacts/batch", body(key), { "Idempotency-Key": key });
          }
          expect(again.status).toBe(200);
        }
        expect(await ownCount(ownData, "SELECT count(*) AS n FROM contacts")).toBe(800);
        expect(keys.length * 20).toBe(800);
      },
    );
  }, 60_000);

  it("writes nothing for a batch the rate limit refuses (429), and its retry later applies it", async () => {
    await ownServer(
      { CRM_RATE_LIMIT_PER_KEY: "1", CRM_RATE_LIMIT_BURST_SECONDS: "1" },
      async (own, _server, ownData) => {
        const key = newKey("limited");
        const body = { mode: "create", items: [{ firstName: "Limited" }, { firstName: "Twice" }] };
        const answers = [];
        for (let i = 0; i < 4; i++)
          answers.push(
            await own("POST", "/t/own/contacts/batch", body, { "Idempotency-Key": `${key}-${i}` }),
          );
        const limited = answers.filter((a) => a.status === 429);
        expect(limited.length).toBeGreaterThan(0);
        for (const a of limited) expect(a.headers.get("Retry-After")).not.toBeNull();
        const applied = answers.filter((a) => a.status === 200).length;
        expect(await ownCount(ownData, "SELECT count(*) AS n FROM contacts")).toBe(applied * 2);
        const refusedIndex = answers.findIndex((a) => a.status === 429);
        await Bun.sleep(1100);
        const later = await own("POST", "/t/own/contacts/batch", body, {
          "Idempotency-Key": `${key}-${refusedIndex}`,
        });
        expect(later.status).toBe(200);
        expect(later.headers.get("Idempotency-Replayed")).toBeNull();
      },
    );
  }, 60_000);
});

const batch = (kind: string, body: unknown, headers: Record<string, string> = {}, caller = () => call) =>
  caller()("POST", `/t/${HOME}/${kind}/batch`, body, headers);

describe("batches as an attacker and a careless client would send them", () => {
  it("upserts email case variants in one batch as one contact (created, then updated)", async () => {
    const before = await contacts();
    const answer = await batch("contacts", {
      mode: "upsert",
      matchOn: "email",
      items: [
        { email: "Case.Variant@Example.org", firstName: "First" },
        { email: "  case.variant@EXAMPLE.ORG ", firstName: "Second" },
      ],
    });
    expect(answer.status).toBe(200);
    expect(answer.json.results.map((r: { action: string }) => r.action)).toEqual(["created", "updated"]);
    expect(answer.json.results[0].id).toBe(answer.json.results[1].id);
    expect(answer.json.data[1].email).toBe("case.variant@example.org");
    expect(await contacts()).toBe(before + 1);
  });

  it("refuses one externalId twice in a create batch, writing nothing; another kind may hold the same value", async () => {
    const value = newKey("twice");
    expect((await call("POST", `/t/${HOME}/deals`, { title: "Holder", externalId: value })).status).toBe(201);
    const before = await contacts();
    const answer = await batch("contacts", {
      mode: "create",
      items: [
        { firstName: "One", externalId: value },
        { firstName: "Two", externalId: value },
      ],
    });
    expect(answer.status).toBe(422);
    expect(answer.json.results.map((r: { status: number }) => r.status)).toEqual([424, 422]);
    expect(await contacts()).toBe(before);
    const alone = await batch("contacts", {
      mode: "create",
      items: [{ firstName: "One", externalId: value }],
    });
    expect(alone.status).toBe(200);
  });

  it("never touches another workspace: its ids are 404 items here, its record unchanged", async () => {
    const theirs = await otherCall("POST", `/t/${OTHER}/contacts`, {
      firstName: "Theirs",
      externalId: "shared-ext",
    });
    expect(theirs.status).toBe(201);
    const before = await contacts();
    const byId = await batch("contacts", {
      mode: "update",
      items: [{ id: theirs.json.id, firstName: "Hijacked" }],
    });
    expect(byId.status).toBe(422);
    expect(byId.json.results[0].status).toBe(404);
    const byExternal = await batch("contacts", {
      mode: "update",
      matchOn: "externalId",
      items: [{ externalId: "shared-ext", firstName: "Hijacked" }],
    });
    expect(byExternal.json.results[0].status).toBe(404);
    const upserted = await batch("contacts", {
      mode: "upsert",
      items: [{ externalId: "shared-ext", firstName: "Mine" }],
    });
    expect(upserted.json.results[0].action).toBe("created");
    expect(await contacts()).toBe(before + 1);
    // Nor may an item point at the other workspace's company or stage.
    const company = await otherCall("POST", `/t/${OTHER}/companies`, { name: "Their company" });
    const stageId = (await otherCall("GET", `/t/${OTHER}/pipelines`)).json.data[0].stages[0].id;
    const linked = await batch("contacts", {
      mode: "create",
      items: [{ firstName: "L", companyId: company.json.id }],
    });
    expect(linked.json.errors).toEqual([
      { field: "items.0.companyId", message: "is not a company of this workspace" },
    ]);
    const staged = await batch("deals", { mode: "create", items: [{ title: "S", stageId }] });
    expect(staged.json.errors).toEqual([
      { field: "items.0.stageId", message: "is not a stage of this workspace" },
    ]);
    expect(await contacts()).toBe(before + 1);
    const still = await otherCall("GET", `/t/${OTHER}/contacts/${theirs.json.id}`);
    expect(still.json.firstName).toBe("Theirs");
    expect(still.json.updatedAt).toBe(theirs.json.updatedAt);
  });

  it("refuses an upsert item whose externalId is null, empty or missing (422 per item), writing nothing", async () => {
    const before = await contacts();
    for (const item of [{ externalId: null }, { externalId: "" }, {}, { externalId: 7 }]) {
      const answer = await batch("contacts", {
        mode: "upsert",
        items: [
          { firstName: "Ok", externalId: "fine-1" },
          { firstName: "N", ...item },
        ],
      });
      expect({
        item,
        status: answer.status,
        results: answer.json.results.map((r: { status: number }) => r.status),
      }).toEqual({
        item,
        status: 422,
        results: [424, 422],
      });
      expect(answer.json.errors[0].field).toBe("items.1.externalId");
    }
    expect(await contacts()).toBe(before);
  });

  it("refuses a matchOn the kind does not have, and matchOn with create, naming the field", async () => {
    for (const [kind, body] of [
      ["companies", { mode: "upsert", matchOn: "email", items: [{ name: "X" }] }],
      ["deals", { mode: "update", matchOn: "email", items: [{ title: "X" }] }],
      ["contacts", { mode: "upsert", matchOn: "__proto__", items: [{ firstName: "X" }] }],
      ["contacts", { mode: "upsert", matchOn: "domain", items: [{ firstName: "X" }] }],
      ["contacts", { mode: "create", matchOn: "id", items: [{ firstName: "X" }] }],
    ] as const) {
      const answer = await batch(kind, body);
      expect({ kind, body, status: answer.status, field: answer.json.errors?.[0]?.field }).toEqual({
        kind,
        body,
        status: 422,
        field: "matchOn",
      });
    }
  });

  it("refuses ids that are not positive whole numbers in an update batch (422 per item)", async () => {
    for (const id of ["5", 0, -1, 1.5, 1e300, null, [1]]) {
      const answer = await batch("contacts", { mode: "update", items: [{ id, firstName: "X" }] });
      expect({ id, status: answer.status, item: answer.json.results?.[0]?.status }).toEqual({
        id,
        status: 422,
        item: 422,
      });
    }
  });

  it("reports an upsert that changes nothing as unchanged, without touching updatedAt or the ETag", async () => {
    const externalId = newKey("same");
    const first = await batch("contacts", { mode: "upsert", items: [{ externalId, firstName: "Same" }] });
    const id = first.json.results[0].id;
    const before = await call("GET", `/t/${HOME}/contacts/${id}`);
    await Bun.sleep(5);
    const again = await batch("contacts", { mode: "upsert", items: [{ externalId, firstName: "Same" }] });
    expect(again.json.results[0].action).toBe("unchanged");
    const after = await call("GET", `/t/${HOME}/contacts/${id}`);
    expect(after.json.updatedAt).toBe(before.json.updatedAt);
    expect(after.headers.get("ETag")).toBe(before.headers.get("ETag"));
  });

  it("keeps the server's thread answering while 100-item batches of large custom fields run", async () => {
    for (const key of ["trial_a", "trial_b", "trial_c", "trial_d"])
      expect(
        (await call("POST", `/t/${HOME}/custom-fields`, { entity: "contact", key, label: key, type: "text" }))
          .status,
      ).toBe(201);
    const text = "é".repeat(290);
    const items = (round: number) =>
      Array.from({ length: 100 }, (_, i) => ({
        firstName: `C${i}`,
        externalId: `cf-${round}-${i}`,
        customFields: { trial_a: text, trial_b: text, trial_c: text, trial_d: text },
      }));
    expect(
      new TextEncoder().encode(JSON.stringify({ mode: "upsert", items: items(0) })).length,
    ).toBeGreaterThan(200_000);
    let round = 0;
    const client = async () => {
      for (let i = 0; i < 6; i++)
        expect((await batch("contacts", { mode: "upsert", items: items(++round) })).status).toBe(200);
    };
    const probe = await healthzWhile(Promise.all([client(), client()]));
    // A loaded shared machine adds its own stalls: the median stays that of an idle server, and
    // no probe waits for a whole batch's CPU (~100 records × services, ~50 ms and more).
    expect(probe.median).toBeLessThan(20);
    expect(probe.over100).toBeLessThanOrEqual(2);
  }, 60_000);
});

/** /healthz round trips (ms) while `work` runs: how long the server's thread kept others waiting. */
async function healthzWhile(
  work: Promise<unknown>,
): Promise<{ median: number; worst: number; over100: number; samples: number }> {
  let done = false;
  const times: number[] = [];
  const loop = (async () => {
    while (!done) {
      const started = performance.now();
      await (await fetch(`${server.url}/healthz`)).text();
      times.push(performance.now() - started);
      await Bun.sleep(2);
    }
  })();
  await work;
  done = true;
  await loop;
  times.sort((x, y) => x - y);
  return {
    median: times[times.length >> 1] ?? 0,
    worst: times.at(-1) ?? 0,
    over100: times.filter((t) => t > 100).length,
    samples: times.length,
  };
}

describe("externalId and the exact filters", () => {
  it("takes an externalId exactly: spaces kept, found only by the exact value, 256 characters and controls refused", async () => {
    const padded = ` ${newKey("pad")} `;
    const created = await call("POST", `/t/${HOME}/contacts`, { firstName: "Pad", externalId: padded });
    expect(created.json.externalId).toBe(padded);
    const exact = await call("GET", `/t/${HOME}/contacts?externalId=${encodeURIComponent(padded)}`);
    expect(exact.json.data.map((c: { id: number }) => c.id)).toEqual([created.json.id]);
    const trimmed = await call("GET", `/t/${HOME}/contacts?externalId=${encodeURIComponent(padded.trim())}`);
    expect(trimmed.json.data).toEqual([]);
    // An upsert by the same padded value finds that record (taken exactly, as documented).
    const upsert = await batch("contacts", {
      mode: "upsert",
      items: [{ externalId: padded, firstName: "Pad again" }],
    });
    expect(upsert.json.results[0]).toMatchObject({ id: created.json.id, action: "updated" });
    const before = await contacts();
    for (const bad of ["x".repeat(256), "tab\tin", "esc\u001b", "del\u007f", "c1\u0085", "bidi\u202e"]) {
      const single = await call("POST", `/t/${HOME}/contacts`, { firstName: "Bad", externalId: bad });
      expect({ bad, status: single.status, field: single.json.errors?.[0]?.field }).toEqual({
        bad,
        status: 422,
        field: "externalId",
      });
      const inBatch = await batch("contacts", {
        mode: "upsert",
        items: [{ firstName: "Bad", externalId: bad }],
      });
      expect({ bad, status: inBatch.status }).toEqual({ bad, status: 422 });
    }
    expect(
      (await call("POST", `/t/${HOME}/contacts`, { firstName: "Max", externalId: "m".repeat(255) })).status,
    ).toBe(201);
    expect(await contacts()).toBe(before + 1);
    const tooLong = await call("GET", `/t/${HOME}/contacts?externalId=${"x".repeat(256)}`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.json.errors[0].field).toBe("externalId");
  });

  it("matches the email filter exactly: LIKE wildcards and globs are plain characters, case folds, İ is refused on write", async () => {
    const created = await call("POST", `/t/${HOME}/contacts`, {
      firstName: "Wild",
      email: "wild_card@example.org",
    });
    expect(created.status).toBe(201);
    for (const value of [
      "%",
      "_",
      "wild%",
      "wild_card@example.%",
      "wild?card@example.org",
      "*",
      "wild*",
      "%@%",
    ]) {
      const answer = await call("GET", `/t/${HOME}/contacts?email=${encodeURIComponent(value)}`);
      expect({ value, status: answer.status, found: answer.json.data.length }).toEqual({
        value,
        status: 200,
        found: 0,
      });
    }
    const upper = await call(
      "GET",
      `/t/${HOME}/contacts?email=${encodeURIComponent("WILD_CARD@EXAMPLE.ORG")}`,
    );
    expect(upper.json.data.map((c: { id: number }) => c.id)).toEqual([created.json.id]);
    const turkish = await call("POST", `/t/${HOME}/contacts`, {
      firstName: "I",
      email: "\u0130lker@example.org",
    });
    expect(turkish.status).toBe(422);
    const sharp = await call("GET", `/t/${HOME}/contacts?email=${encodeURIComponent("STRAẞE@example.org")}`);
    expect(sharp.json.data).toEqual([]);
  });

  it("matches the domain filter exactly, LIKE characters included", async () => {
    const created = await call("POST", `/t/${HOME}/companies`, {
      name: "Dom",
      domain: "exact-domain.example",
    });
    expect(created.status).toBe(201);
    for (const value of ["%", "exact%", "exact_domain.example", "*.example"]) {
      const answer = await call("GET", `/t/${HOME}/companies?domain=${encodeURIComponent(value)}`);
      expect({ value, found: answer.json.data.length }).toEqual({ value, found: 0 });
    }
    const upper = await call("GET", `/t/${HOME}/companies?domain=EXACT-DOMAIN.EXAMPLE`);
    expect(upper.json.data.map((c: { id: number }) => c.id)).toEqual([created.json.id]);
  });

  it("refuses an externalId with a lone surrogate (422 naming it, single, PATCH and batch), so two ids never collide as U+FFFD", async () => {
    // SQLite stores text as UTF-8, where "s\ud800" and "s\udc00" would both become "s\ufffd":
    // the JSON body is checked for surrogate escapes before any field is read (read-json.ts),
    // and externalId's own check refuses text that is not well-formed (textProblem).
    const id = newKey("sur");
    const before = await contacts();
    for (const lone of [`${id}\ud800`, `${id}\udc00`, `\udfff${id}`]) {
      const single = await call("POST", `/t/${HOME}/contacts`, { firstName: "Sur", externalId: lone });
      expect({ status: single.status, field: single.json.errors?.[0]?.field }).toEqual({
        status: 422,
        field: "externalId",
      });
      const inBatch = await batch("contacts", {
        mode: "upsert",
        items: [{ firstName: "Sur", externalId: lone }],
      });
      expect(inBatch.status).toBe(422);
    }
    expect(await contacts()).toBe(before);
    const kept = await call("POST", `/t/${HOME}/contacts`, {
      firstName: "Sur",
      externalId: `${id}\ud83d\ude00`,
    });
    expect(kept.json.externalId).toBe(`${id}\u{1f600}`);
    const patched = await call("PATCH", `/t/${HOME}/contacts/${kept.json.id}`, { externalId: `${id}\ud800` });
    expect({ status: patched.status, field: patched.json.errors?.[0]?.field }).toEqual({
      status: 422,
      field: "externalId",
    });
    expect((await call("GET", `/t/${HOME}/contacts/${kept.json.id}`)).json.externalId).toBe(`${id}\u{1f600}`);
  });

  it("refuses an empty filter on the API's lists and bulk (?externalId=, ?email=, ?domain=, ids…) with a 400 naming it, never listing every record; q=, cursor=, sort= and order= keep their defaults, and a page's blank field still means not given", async () => {
    // An integration that looks its record up by a value it failed to fill in must not get
    // the whole list and take data[0] as its match (list-params.ts: EMPTY_MEANS_DEFAULT).
    await call("POST", `/t/${HOME}/contacts`, {
      firstName: "Anyone",
      email: "anyone@example.org",
      externalId: newKey(),
    });
    await call("POST", `/t/${HOME}/companies`, { name: "Anyco", domain: "anyco.example" });
    for (const path of [
      "contacts?externalId=",
      "contacts?email=",
      "contacts?ownerId=",
      "contacts?companyId=",
      "contacts?tag=",
      "contacts?updatedSince=",
      "contacts?q=x&email=",
      "companies?domain=",
      "companies?externalId=",
      "deals?externalId=",
      "deals?stageId=",
      "deals?companyId=",
      "deals?status=",
      "tasks?assigneeId=",
      "notes?cursor=1&subjectId=",
    ]) {
      const answer = await call("GET", `/t/${HOME}/${path}`);
      const name = path.slice(path.lastIndexOf("&") + 1 || path.indexOf("?") + 1, -1);
      expect({ path, status: answer.status, field: answer.json?.errors?.[0]?.field }).toEqual({
        path,
        status: 400,
        field: name,
      });
    }
    const all = await call("GET", `/t/${HOME}/contacts?limit=200`);
    const defaults = await call("GET", `/t/${HOME}/contacts?limit=200&q=&cursor=&sort=&order=`);
    expect(defaults.status).toBe(200);
    expect(defaults.json.data.length).toBe(all.json.data.length);
    // A bulk change by filter: `{"email": ""}` would otherwise change every contact.
    const before = await count("SELECT count(*) AS n FROM contacts WHERE owner_id IS NULL");
    const bulk = await call("POST", `/t/${HOME}/contacts/bulk`, {
      filter: { email: "" },
      action: "addTag",
      tag: "everyone",
    });
    expect({ status: bulk.status, field: bulk.json.errors?.[0]?.field }).toEqual({
      status: 400,
      field: "email",
    });
    expect(await count("SELECT count(*) AS n FROM contacts WHERE owner_id IS NULL")).toBe(before);
    expect(await count("SELECT count(*) AS n FROM tags WHERE name = 'everyone'")).toBe(0);
    // Pages' filter forms send every field, blank ones included: there blank is "not given".
    const browser = await signIn(server.url, HOME, `owner@${HOME}.test`);
    expect((await browser.get(`/t/${HOME}/contacts?q=&email=&ownerId=&tag=`)).status).toBe(200);
  });

  it("purges expired keys off the server's thread: 500 expired batch-sized answers (~100 MB) go within seconds of a keyed POST, while that POST's queries stay far from the ~195 ms deleting them took and /healthz keeps answering", async () => {
    // A burst of keyed batches (a nightly sync: each stored answer is the 100 records' JSON,
    // 100-250 KB) comes due 24 h later all at once. Deleting it in one transaction on the
    // server's thread held every workspace ~200 ms; it now runs in the worker pool, in
    // transactions of at most 1 MiB (expired-key-purges.ts, purge.worker.ts).
    // The workspace open and a keyed POST's statements prepared first (run alone, this test
    // would otherwise time the first request's ~100 ms, not the purge).
    const warm = { "Idempotency-Key": newKey() };
    expect((await call("POST", `/t/${HOME}/contacts`, { firstName: "Warm" }, warm)).status).toBe(201);
    const dayAndAnHourAgo = Date.now() - 25 * 3600 * 1000;
    const answer = JSON.stringify({ results: [], data: "x".repeat(200_000) });
    await data.shards.use(data.get(HOME), (shard) =>
      shard.transaction(() => {
        const insert = shard.statement(
          `INSERT INTO idempotency_keys (scope, key, route, request_hash, status, response, location, created_at)
           VALUES ('api_key:0', ?, 'POST /api/v1/t/${HOME}/contacts/batch', 'h', 200, ?, NULL, ?)`,
        );
        for (let i = 0; i < 500; i++) insert.run(`nightly-${i}`, answer, dayAndAnHourAgo + i);
      }),
    );
    const expiredLeft = () => count("SELECT count(*) AS n FROM idempotency_keys WHERE key LIKE 'nightly-%'");
    let took = 0;
    /**
     * The POST's queries on the server's thread (Server-Timing `db`): the purge made them ~195 ms;
     * now ~5–35 ms on a loaded box (the first write after the 100 MB insert above included).
     */
    let dbMs = Number.NaN;
    let purgedWithin = Number.POSITIVE_INFINITY;
    const probe = await healthzWhile(
      (async () => {
        await Bun.sleep(100);
        const started = performance.now();
        const created = await call(
          "POST",
          `/t/${HOME}/contacts`,
          { firstName: "Purger" },
          { "Idempotency-Key": newKey() },
        );
        took = performance.now() - started;
        expect(created.status).toBe(201);
        dbMs = Number(/db;dur=([\d.]+)/.exec(created.headers.get("server-timing") ?? "")?.[1] ?? Number.NaN);
        while ((await expiredLeft()) > 0 && performance.now() - started < 20_000) await Bun.sleep(50);
        purgedWithin = performance.now() - started;
      })(),
    );
    expect(await expiredLeft()).toBe(0);
    expect(purgedWithin).toBeLessThan(20_000);
    // A fresh key stays: only the expired ones went.
    expect(
      await count("SELECT count(*) AS n FROM idempotency_keys WHERE created_at > ?", Date.now() - 60_000),
    ).toBeGreaterThan(0);
    // A loaded shared machine adds stalls of its own (the other test in this file allows them
    // the same way): the median stays an idle server's, and almost no probe waits 100 ms.
    expect({
      dbMs: dbMs < 100,
      took: took < 1000,
      median: probe.median < 20,
      over100: probe.over100 <= 2,
    }).toEqual({
      dbMs: true,
      took: true,
      median: true,
      over100: true,
    });
  }, 60_000);
});

describe("found by the trial, fixed", () => {
  it("a batch item nested 60,000 levels deep is answered as on POST /contacts, never a 500 (the body crosses to the worker as text)", async () => {
    // The items went to the pool as structured-clone data: "Maximum call stack size exceeded"
    // at postMessage. They now cross as the body's text, parsed in the worker.
    const deep = `${"[".repeat(60_000)}${"]".repeat(60_000)}`;
    const item = `{"firstName":"Deep","junk":${deep}}`;
    expect((await call("POST", `/t/${HOME}/contacts`, item)).status).toBe(201);
    const before = await contacts();
    const answer = await call("POST", `/t/${HOME}/contacts/batch`, `{"mode":"create","items":[${item}]}`);
    expect(answer.status).toBeLessThan(500);
    expect(await contacts()).toBeLessThanOrEqual(before + 1);
  });

  it("a client that aborts its running batch costs no other workspace anything: the batch runs to its end on its thread (it was killed, and a new thread took ~0.5 s)", async () => {
    // Piscina ends a running task's thread when its signal aborts. A batch now runs to its end
    // (the signal only takes it out of its line: src/batch/batch-lines.ts, RunOptions.runToEnd).
    const victim = async () => {
      const started = performance.now();
      const answer = await otherCall("POST", `/t/${OTHER}/contacts/batch`, {
        mode: "create",
        items: [{ firstName: "V" }],
      });
      expect(answer.status).toBe(200);
      return performance.now() - started;
    };
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1] ?? 0;
    await victim();
    const calm: number[] = [];
    for (let i = 0; i < 7; i++) calm.push(await victim());
    const afterAbort: number[] = [];
    for (let round = 0; round < 7; round++) {
      const items = Array.from({ length: 100 }, (_, i) => ({
        firstName: `A${i}`,
        lastName: "x".repeat(100),
      }));
      const controller = new AbortController();
      const sent = fetch(`${server.url}/api/v1/t/${HOME}/contacts/batch`, {
        method: "POST",
        body: JSON.stringify({ mode: "create", items }),
        signal: controller.signal,
        headers: { authorization: `Bearer ${ownerKey}`, "content-type": "application/json" },
      }).catch(() => "aborted");
      setTimeout(() => controller.abort(), 8);
      await sent;
      afterAbort.push(await victim());
    }
    expect(median(afterAbort)).toBeLessThan(5 * median(calm) + 50);
  }, 60_000);
});
