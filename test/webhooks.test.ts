import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import {
  type Received,
  startReceiver,
  verifySignature,
  WEBHOOK_TEST_ENV,
} from "./support/webhook-receiver.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

// Deliveries through the real server to real receivers on loopback (allowed here with
// CRM_WEBHOOKS_ALLOW_PRIVATE; test/webhooks-ssrf.test.ts proves it is refused without).
// Retries wait 0.2 s, 0.4 s, 0.4 s (±20 %): four attempts in all, then the webhook is disabled.

let server: TestServer;
const dir = tempDir();
let data: DataDir;
const receivers: ReturnType<typeof startReceiver>[] = [];

beforeAll(async () => {
  data = new DataDir(dir.path);
  server = await startServer({ dataDir: dir.path, env: WEBHOOK_TEST_ENV });
});

afterAll(async () => {
  await server.stop();
  for (const r of receivers) r.stop();
  data.close();
  dir.remove();
});

/** A receiver stopped with the suite. */
function receiver(answer?: Parameters<typeof startReceiver>[0]) {
  const r = startReceiver(answer);
  receivers.push(r);
  return r;
}

/** A fresh workspace (one per test, so one test's subscriptions never see another's changes) and an admin key. */
async function workspace(slug: string, role: "owner" | "admin" | "member" = "admin") {
  await data.tenant(slug);
  return api(server.url, await data.apiKey(slug, role));
}

type Call = Awaited<ReturnType<typeof workspace>>;

async function subscribe(call: Call, slug: string, url: string, events: string[] = ["*"]) {
  const made = await call("POST", `/t/${slug}/webhooks`, { url, events });
  expect(made.status).toBe(201);
  return made.json as { id: number; secret: string };
}

async function contact(call: Call, slug: string, firstName: string): Promise<number> {
  const made = await call("POST", `/t/${slug}/contacts`, { firstName, lastName: "Hook" });
  expect(made.status).toBe(201);
  return made.json.id;
}

const subscriptionCount = (slug: string) =>
  data.shards.use(
    data.get(slug),
    (s) => (s.statement("SELECT count(*) AS n FROM webhook_subscriptions").get() as { n: number }).n,
  );

const ids = (rs: Received[]) => rs.map((r) => r.eventId);

describe("webhook subscriptions through the API", () => {
  it("creates one with a secret shown only in that answer, reads, changes, rotates and deletes it", async () => {
    const call = await workspace("api-co");
    const made = await call("POST", "/t/api-co/webhooks", {
      url: "http://127.0.0.1:9/hooks",
      events: ["contact.created", "deal.*", "contact.created"],
    });
    expect(made.status).toBe(201);
    expect(made.headers.get("location")).toBe(`/api/v1/t/api-co/webhooks/${made.json.id}`);
    expect(made.json).toMatchObject({
      url: "http://127.0.0.1:9/hooks",
      events: ["contact.created", "deal.*"],
      enabled: true,
      failures: 0,
      disabledReason: null,
    });
    expect(made.json.secret).toMatch(/^whsec_[\w-]{32}$/);
    const id = made.json.id;

    const listed = await call("GET", "/t/api-co/webhooks");
    expect(listed.status).toBe(200);
    expect(listed.json.data.map((w: { id: number }) => w.id)).toEqual([id]);
    const one = await call("GET", `/t/api-co/webhooks/${id}`);
    expect(one.json.url).toBe("http://127.0.0.1:9/hooks");
    expect(listed.text + one.text).not.toContain(made.json.secret);
    expect("secret" in one.json).toBe(false);

    const patched = await call("PATCH", `/t/api-co/webhooks/${id}`, { events: ["*"], enabled: false });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ events: ["*"], enabled: false, url: "http://127.0.0.1:9/hooks" });

    const rotated = await call("POST", `/t/api-co/webhooks/${id}/secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).toMatch(/^whsec_/);
    expect(rotated.json.secret).not.toBe(made.json.secret);

    expect((await call("DELETE", `/t/api-co/webhooks/${id}`)).status).toBe(204);
    expect((await call("GET", `/t/api-co/webhooks/${id}`)).status).toBe(404);
    expect((await call("DELETE", `/t/api-co/webhooks/${id}`)).status).toBe(404);
    expect(await subscriptionCount("api-co")).toBe(0);
  });

  it("refuses bad input with a problem naming the field and writes nothing", async () => {
    const call = await workspace("bad-co");
    const cases: [unknown, number, string][] = [
      [{ events: ["*"] }, 422, "url"],
      [{ url: "ftp://example.com/x", events: ["*"] }, 422, "url"],
      [{ url: "not a url", events: ["*"] }, 422, "url"],
      [{ url: "https://user:pw@example.com/x", events: ["*"] }, 422, "url"],
      [{ url: `https://example.com/${"a".repeat(2001)}`, events: ["*"] }, 422, "url"],
      [{ url: "https://example.com/x", events: [] }, 422, "events"],
      [{ url: "https://example.com/x", events: "contact.created" }, 422, "events"],
      [{ url: "https://example.com/x", events: ["contact created"] }, 422, "events.0"],
      [{ url: "https://example.com/x", events: ["<script>.*"] }, 422, "events.0"],
      [{ url: "https://example.com/x", events: ["contact.craeted"] }, 422, "events.0"],
      [{ url: "https://example.com/x", events: ["invoice.*"] }, 422, "events.0"],
      [
        { url: "https://example.com/x", events: Array.from({ length: 21 }, () => "contact.created") },
        422,
        "events",
      ],
      [{ url: "https://example.com/x", events: ["*"], enabled: "yes" }, 422, "enabled"],
      [{ url: "https://example.com/x", events: ["*"], secret: "mine" }, 422, "body"],
    ];
    for (const [body, status, field] of cases) {
      const answer = await call("POST", "/t/bad-co/webhooks", body);
      expect({ body, status: answer.status }).toEqual({ body, status });
      expect(answer.headers.get("content-type")).toContain("application/problem+json");
      expect({ body, fields: answer.json.errors?.map((e: { field: string }) => e.field) }).toMatchObject({
        body,
        fields: expect.arrayContaining([field]),
      });
    }
    const notJson = await call("POST", "/t/bad-co/webhooks", "url=https://example.com", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(notJson.status).toBe(415);
    expect((await call("POST", "/t/bad-co/webhooks", "{")).status).toBe(400);
    expect((await call("GET", "/t/bad-co/webhooks?limit=5")).status).toBe(400);
    expect(await subscriptionCount("bad-co")).toBe(0);

    const { id } = await subscribe(call, "bad-co", "http://127.0.0.1:9/x");
    const patch = await call("PATCH", `/t/bad-co/webhooks/${id}`, { url: "gopher://x", events: [] });
    expect(patch.status).toBe(422);
    expect((await call("GET", `/t/bad-co/webhooks/${id}`)).json).toMatchObject({
      url: "http://127.0.0.1:9/x",
      events: ["*"],
    });
    expect((await call("GET", `/t/bad-co/webhooks/${id}/deliveries?cursor=abc`)).status).toBe(400);
    expect((await call("GET", `/t/bad-co/webhooks/${id}?x=1`)).status).toBe(400);
  });

  it("answers 403 to member and read-only keys, reads included", async () => {
    await workspace("roles-co");
    const admin = api(server.url, await data.apiKey("roles-co", "admin"));
    const { id } = await subscribe(admin, "roles-co", "http://127.0.0.1:9/x");
    for (const role of ["member", "read-only"] as const) {
      const call = api(server.url, await data.apiKey("roles-co", role));
      expect((await call("GET", "/t/roles-co/webhooks")).status).toBe(403);
      expect((await call("GET", `/t/roles-co/webhooks/${id}`)).status).toBe(403);
      expect((await call("GET", `/t/roles-co/webhooks/${id}/deliveries`)).status).toBe(403);
      expect(
        (await call("POST", "/t/roles-co/webhooks", { url: "http://127.0.0.1:9/y", events: ["*"] })).status,
      ).toBe(403);
      expect((await call("PATCH", `/t/roles-co/webhooks/${id}`, { enabled: false })).status).toBe(403);
      expect((await call("POST", `/t/roles-co/webhooks/${id}/secret`)).status).toBe(403);
      expect((await call("DELETE", `/t/roles-co/webhooks/${id}`)).status).toBe(403);
    }
    expect(await subscriptionCount("roles-co")).toBe(1);
    expect((await admin("GET", `/t/roles-co/webhooks/${id}`)).json.enabled).toBe(true);
  });
});

describe("deliveries", () => {
  it("sends each subscribed change once, signed, oldest first, with its id as CRM-Event-Id", async () => {
    const call = await workspace("order-co");
    const rx = receiver();
    // Made before the subscription: never sent (a subscription gets what happens from then on).
    await contact(call, "order-co", "Before");
    const { secret } = await subscribe(call, "order-co", `${rx.url}/in`, ["contact.created", "deal.*"]);
    const contacts: number[] = [];
    for (let i = 0; i < 8; i++) contacts.push(await contact(call, "order-co", `C${i}`));
    // Not subscribed: an update to a contact.
    expect((await call("PATCH", `/t/order-co/contacts/${contacts[0]}`, { lastName: "Changed" })).status).toBe(
      200,
    );
    const deal = await call("POST", "/t/order-co/deals", { title: "Big one" });
    expect(deal.status).toBe(201);
    await rx.until(() => rx.received.some((r) => r.json.type.startsWith("deal.")));
    await Bun.sleep(300);
    const got = rx.received;
    expect(got.map((r) => r.json.type)).toEqual([...Array(8).fill("contact.created"), "deal.created"]);
    expect(got.map((r) => r.path)).toEqual(Array(9).fill("/in"));
    // Oldest first, each once.
    const eventIds = ids(got).map(Number);
    expect(eventIds).toEqual([...eventIds].sort((a, b) => a - b));
    expect(new Set(eventIds).size).toBe(9);
    for (const [i, r] of got.entries()) {
      expect(verifySignature(secret, r.signature, r.body)).toBe(true);
      expect(verifySignature("whsec_wrong", r.signature, r.body)).toBe(false);
      // A captured delivery replayed an hour later is refused by the tolerance.
      expect(verifySignature(secret, r.signature, r.body, 300, Date.now() / 1000 + 3600)).toBe(false);
      expect(r.json.id).toBe(r.eventId);
      expect(r.json.data.id).toBe(r.eventId);
      expect(Date.parse(r.json.occurredAt)).toBeLessThanOrEqual(r.at);
      expect(r.attempt).toBe(1);
      if (i < 8) expect(r.json.data.object).toMatchObject({ type: "contact", id: String(contacts[i]) });
    }
    // A body tampered with no longer verifies.
    const first = got[0] as Received;
    expect(verifySignature(secret, first.signature, first.body.replace("contact", "Contact"))).toBe(false);
  });

  it("retries a failing delivery with growing waits; later changes wait for it, so order is kept", async () => {
    let failuresLeft = 2;
    const rx = receiver(() =>
      failuresLeft-- > 0 ? new Response("down", { status: 500 }) : new Response("ok"),
    );
    const call = await workspace("retry-co");
    const { id } = await subscribe(call, "retry-co", rx.url, ["contact.created"]);
    for (let i = 0; i < 3; i++) await contact(call, "retry-co", `R${i}`);
    await rx.until(() => rx.received.length >= 5);
    await Bun.sleep(300);
    const got = rx.received;
    expect(got).toHaveLength(5);
    const distinct = [...new Set(ids(got))];
    expect(distinct).toHaveLength(3);
    const [e1, e2, e3] = distinct as [string, string, string];
    expect(ids(got)).toEqual([e1, e1, e1, e2, e3]);
    expect(got.slice(0, 3).map((r) => r.attempt)).toEqual([1, 2, 3]);
    // Waits of 0.2 s and 0.4 s, each less at most 20 %.
    expect((got[1] as Received).at - (got[0] as Received).at).toBeGreaterThanOrEqual(150);
    expect((got[2] as Received).at - (got[1] as Received).at).toBeGreaterThanOrEqual(300);

    const log = await call("GET", `/t/retry-co/webhooks/${id}/deliveries`);
    expect(log.status).toBe(200);
    const attempts = [...log.json.data].reverse();
    expect(attempts.map((a: { ok: boolean }) => a.ok)).toEqual([false, false, true, true, true]);
    expect(attempts[0]).toMatchObject({ changeId: e1, attempt: 1, statusCode: 500, error: "answered 500" });
    expect(Date.parse(attempts[0].nextAttemptAt)).toBeGreaterThan(Date.parse(attempts[0].attemptedAt));
    expect(attempts[2]).toMatchObject({
      changeId: e1,
      attempt: 3,
      statusCode: 200,
      error: null,
      nextAttemptAt: null,
    });
    expect(attempts[2].durationMs).toBeGreaterThanOrEqual(0);
    expect(log.json.nextCursor).toBeNull();
    expect((await call("GET", `/t/retry-co/webhooks/${id}/deliveries?limit=2`)).status).toBe(400);
    expect((await call("GET", `/t/retry-co/webhooks/${id}`)).json).toMatchObject({
      enabled: true,
      failures: 0,
    });
  });

  it("disables a webhook whose retries ran out, says why in Settings (no mail) and re-enabling sends the held-back change first", async () => {
    let up = false;
    const rx = receiver(() => (up ? new Response("ok") : new Response("no", { status: 503 })));
    const call = await workspace("dead-co", "owner");
    const { id } = await subscribe(call, "dead-co", `${rx.url}/dead`, ["contact.created"]);
    await contact(call, "dead-co", "First");
    await rx.until(() => rx.received.length >= 4);
    let state = (await call("GET", `/t/dead-co/webhooks/${id}`)).json;
    for (let i = 0; i < 50 && state.enabled; i++) {
      await Bun.sleep(50);
      state = (await call("GET", `/t/dead-co/webhooks/${id}`)).json;
    }
    expect(state.enabled).toBe(false);
    expect(state.disabledReason).toContain("4 attempts");
    expect(state.disabledReason).toContain("answered 503");
    expect(state.disabledAt).not.toBeNull();
    const held = (rx.received[0] as Received).eventId;
    // Nothing more is tried while it is disabled, not even for new changes.
    await contact(call, "dead-co", "While disabled");
    await Bun.sleep(500);
    expect(rx.received).toHaveLength(4);

    const owner = await signIn(server.url, "dead-co", "owner@dead-co.test");
    const settings = await owner.get("/t/dead-co/settings/webhooks");
    expect(settings.status).toBe(200);
    const notice = new RegExp(
      `<div class="flash error" role="alert" id="webhook-${id}-disabled">[\\s\\S]*?</div>`,
    ).exec(settings.text)?.[0];
    expect(notice).toContain(`${rx.url}/dead`);
    expect(notice).toContain("4 attempts");
    expect(notice).toContain("Re-enable deliveries");
    expect(settings.text).toContain("Disabled after failures");

    up = true;
    const enabled = await owner.post(`/t/dead-co/settings/webhooks/${id}/enable`, {});
    expect(enabled.status).toBe(303);
    await rx.until(() => rx.received.length >= 6);
    expect(ids(rx.received.slice(4))[0]).toBe(held);
    expect((rx.received[5] as Received).json.type).toBe("contact.created");
    const after = await owner.get("/t/dead-co/settings/webhooks");
    expect(after.text).not.toContain(`id="webhook-${id}-disabled"`);
    expect((await call("GET", `/t/dead-co/webhooks/${id}`)).json).toMatchObject({
      enabled: true,
      disabledReason: null,
    });
  });

  it("does not follow redirects: a 3xx is a failed attempt and the redirect's target gets nothing", async () => {
    const elsewhere = receiver();
    const rx = receiver(
      () => new Response(null, { status: 307, headers: { location: `${elsewhere.url}/stolen` } }),
    );
    const call = await workspace("redirect-co");
    const { id } = await subscribe(call, "redirect-co", rx.url, ["contact.created"]);
    await contact(call, "redirect-co", "Moved");
    await rx.until(() => rx.received.length >= 2);
    const log = await call("GET", `/t/redirect-co/webhooks/${id}/deliveries`);
    const last = log.json.data.at(-1);
    expect(last).toMatchObject({ ok: false, statusCode: 307 });
    expect(last.error).toContain("redirects are not followed");
    expect(elsewhere.received).toHaveLength(0);
  });

  it("sends one workspace's changes only to its own subscriptions", async () => {
    const mine = receiver();
    const theirs = receiver();
    const a = await workspace("tenant-a");
    const b = await workspace("tenant-b");
    const subA = await subscribe(a, "tenant-a", mine.url);
    const subB = await subscribe(b, "tenant-b", theirs.url);
    const fromA = [await contact(a, "tenant-a", "A1"), await contact(a, "tenant-a", "A2")];
    const fromB = await contact(b, "tenant-b", "B1");
    await mine.until(() => mine.received.length >= 2);
    await theirs.until(() => theirs.received.length >= 1);
    await Bun.sleep(400);
    expect(mine.received.map((r) => r.json.data.object)).toEqual(
      fromA.map((id) => ({ type: "contact", id: String(id) })),
    );
    expect(theirs.received.map((r) => r.json.data.object)).toEqual([{ type: "contact", id: String(fromB) }]);
    expect(theirs.received.every((r) => verifySignature(subB.secret, r.signature, r.body))).toBe(true);
    expect(mine.received.every((r) => verifySignature(subA.secret, r.signature, r.body))).toBe(true);
    // Another workspace's subscription is not found through this workspace, whatever the id.
    for (const [method, path] of [
      ["GET", `/t/tenant-a/webhooks/${subB.id}`],
      ["PATCH", `/t/tenant-a/webhooks/${subB.id}`],
      ["DELETE", `/t/tenant-a/webhooks/${subB.id}`],
      ["GET", `/t/tenant-a/webhooks/${subB.id}/deliveries`],
      ["POST", `/t/tenant-a/webhooks/${subB.id}/secret`],
    ] as const) {
      if (subB.id === subA.id) continue;
      const answer = await a(method, path, method === "PATCH" ? { enabled: false } : undefined);
      expect({ path, status: answer.status }).toEqual({ path, status: 404 });
    }
    // tenant-a's key on tenant-b's URL: refused before tenant-b's file opens.
    expect((await a("GET", "/t/tenant-b/webhooks")).status).toBe(401);
    expect((await b("GET", `/t/tenant-b/webhooks/${subB.id}`)).json.enabled).toBe(true);
  });

  it("keeps pages and the API fast while a receiver hangs, and other subscriptions keep delivering", async () => {
    const hanging = receiver(() => new Promise<Response>(() => {}));
    const fast = receiver();
    const call = await workspace("slow-co", "owner");
    const hangingSub = await subscribe(call, "slow-co", hanging.url);
    await subscribe(call, "slow-co", fast.url, ["contact.created"]);
    const owner = await signIn(server.url, "slow-co", "owner@slow-co.test");
    const started = Date.now();
    for (let i = 0; i < 5; i++) await contact(call, "slow-co", `S${i}`);
    await hanging.until(() => hanging.received.length >= 1);
    // The hanging receiver holds a delivery for the whole timeout (1 s) on every attempt.
    const timings: number[] = [];
    while (Date.now() - started < 2500) {
      const t0 = performance.now();
      const [list, pageAnswer] = await Promise.all([
        call("GET", "/t/slow-co/contacts?limit=50"),
        owner.get("/t/slow-co/contacts"),
      ]);
      timings.push(performance.now() - t0);
      expect([list.status, pageAnswer.status]).toEqual([200, 200]);
      // A person clicking, not a flood (which the rate limit would answer with 429s).
      await Bun.sleep(20);
    }
    // Were the loop held while a delivery waits (1 s a try), a pair of requests would take about
    // that long and only a few would fit in 2.5 s.
    timings.sort((x, y) => x - y);
    expect(timings.length).toBeGreaterThan(10);
    expect(timings[Math.floor(timings.length / 2)]).toBeLessThan(150);
    expect(timings[Math.floor(timings.length * 0.9)]).toBeLessThan(500);
    // The other subscription got everything meanwhile; the hanging one is still on its first change.
    await fast.until(() => fast.received.length >= 5, 3000);
    expect(new Set(ids(hanging.received)).size).toBe(1);
    // Each try ran out at the timeout and was logged as a failure, to be tried again.
    const log = (await call("GET", `/t/slow-co/webhooks/${hangingSub.id}/deliveries`)).json.data;
    expect(log.length).toBeGreaterThan(0);
    for (const attempt of log)
      expect(attempt).toMatchObject({ ok: false, statusCode: null, error: "no answer within 1000 ms" });
    expect(log[0].durationMs).toBeGreaterThanOrEqual(900);
  });

  it("takes a 2xx as delivered when the status arrives, even if the receiver never finishes its body", async () => {
    const rx = receiver(
      () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode("thanks, "));
              // …and nothing more, ever.
            },
          }),
          { status: 202 },
        ),
    );
    const call = await workspace("drip-co");
    const { id } = await subscribe(call, "drip-co", rx.url, ["contact.created"]);
    for (let i = 0; i < 3; i++) await contact(call, "drip-co", `D${i}`);
    await rx.until(() => rx.received.length >= 3, 2500);
    await Bun.sleep(300);
    expect(rx.received.map((r) => r.attempt)).toEqual([1, 1, 1]);
    const log = (await call("GET", `/t/drip-co/webhooks/${id}/deliveries`)).json.data;
    expect(log.map((a: { ok: boolean; statusCode: number }) => [a.ok, a.statusCode])).toEqual([
      [true, 202],
      [true, 202],
      [true, 202],
    ]);
    for (const a of log) expect(a.durationMs).toBeLessThan(900);
  });

  it("lets one workspace hold at most 4 deliveries in flight, so its hanging receivers cannot take every slot", async () => {
    const hanging = receiver(() => new Promise<Response>(() => {}));
    const fast = receiver();
    const greedy = await workspace("greedy-co");
    for (let i = 0; i < 6; i++) await subscribe(greedy, "greedy-co", `${hanging.url}/s${i}`);
    const other = await workspace("neighbour-co");
    await subscribe(other, "neighbour-co", fast.url);
    await contact(greedy, "greedy-co", "Held");
    await hanging.until(() => hanging.received.length >= 4);
    const neighbour = await contact(other, "neighbour-co", "Prompt");
    await fast.until(() => fast.received.length >= 1, 1500);
    expect(fast.received[0]?.json.data.object).toMatchObject({ id: String(neighbour) });
    // Within the first attempt's timeout (1 s), only 4 of the 6 subscriptions have been tried.
    await Bun.sleep(300);
    expect(new Set(hanging.received.map((r) => r.path)).size).toBe(4);
  });
});
