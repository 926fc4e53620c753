import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

/**
 * A hostile trial of the API contract of issue 12 (ETag/If-Match, strict input, one query rule,
 * 405, rate limits), as a buggy integration and an attacker would drive the real server.
 * A promise that holds is a passing test; a defect found is an `it.skip("DEFECT: …")` whose
 * body fails today and passes once it is fixed.
 *
 * Servers: `proxied` trusts X-Forwarded-For (so each test can be its own client address) with
 * a small key-failure bucket (3 per 6 s); `direct` does not trust it (3 per 10 minutes);
 * `group` is two processes on one port.
 */

const HOME = "trial-home";
const dir = tempDir("crm-trial-contract-");
let proxied: TestServer;
let direct: TestServer;
let group: TestServer;
let ownerKey = "";
let otherKey = "";

beforeAll(async () => {
  const data = new DataDir(dir.path);
  await data.tenant(HOME);
  await data.tenant("trial-other");
  ownerKey = await data.apiKey(HOME, "owner");
  otherKey = await data.apiKey("trial-other", "owner");
  data.close();
  const limits = { CRM_RATE_LIMIT_PER_ADDRESS: "1000", CRM_API_KEY_FAILURES: "3" };
  [proxied, direct, group] = await Promise.all([
    startServer({
      dataDir: dir.path,
      env: { ...limits, CRM_TRUST_PROXY: "true", CRM_API_KEY_FAILURE_WINDOW_SECONDS: "6" },
    }),
    startServer({ dataDir: dir.path, env: { ...limits, CRM_API_KEY_FAILURE_WINDOW_SECONDS: "600" } }),
    startServer({ dataDir: dir.path, args: ["--procs", "2"] }),
  ]);
  await group.waitForLine((l) => l.msg === "group listening");
});

afterAll(async () => {
  await Promise.all([proxied?.stop(), direct?.stop(), group?.stop()]);
  dir.remove();
});

let addresses = 0;
/** A client address no other test used (the proxied server reads X-Forwarded-For's last entry). */
const freshAddress = () => `198.51.100.${++addresses}`;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
  json: any;
}

interface Call {
  body?: unknown;
  headers?: Record<string, string>;
  key?: string | null;
  server?: TestServer;
  from?: string;
}

/** One API request; `key: null` sends none; the body goes as given when it is a string. */
async function call(method: string, path: string, options: Call = {}): Promise<Answer> {
  const { body, key = ownerKey, server = proxied, from = freshAddress() } = options;
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      "x-forwarded-for": from,
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...options.headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

const home = (path: string) => `/t/${HOME}${path}`;

async function newContact(body: object = { firstName: "Ada" }): Promise<number> {
  const answer = await call("POST", home("/contacts"), { body });
  if (answer.status !== 201) throw new Error(`POST /contacts: ${answer.status} ${answer.text}`);
  return answer.json.id;
}

async function contactCount(): Promise<number> {
  return (await call("GET", home("/contacts?limit=100"))).json.data.length;
}

/** A contact whose JSON is over 1 KB, so that a client asking for gzip gets it compressed. */
function bigContact(): object {
  const long = "a".repeat(100);
  return {
    firstName: long,
    lastName: long,
    title: long,
    email: "someone.with.a.long.address@example.com",
    tags: Array.from({ length: 20 }, (_, i) => `a-rather-long-tag-name-${i}`),
  };
}

describe("ETag and If-Match", () => {
  it("identical GETs answer one tag; If-None-Match is a 304 until the record changes, then a 200 with a new tag", async () => {
    const path = home(`/contacts/${await newContact()}`);
    const tags = new Set<string | null>();
    for (let i = 0; i < 5; i++) tags.add((await call("GET", path)).headers.get("etag"));
    expect(tags.size).toBe(1);
    const tag = [...tags][0] ?? "";
    expect(tag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    const unchanged = await call("GET", path, { headers: { "if-none-match": tag } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.text).toBe("");
    expect((await call("PATCH", path, { body: { title: "CTO" } })).status).toBe(200);
    const changed = await call("GET", path, { headers: { "if-none-match": tag } });
    expect(changed.status).toBe(200);
    expect(changed.json.title).toBe("CTO");
    expect(changed.headers.get("etag")).not.toBe(tag);
  });

  it("a weak, unquoted, empty, cut or doubled-quote If-Match is a 412 and writes nothing; a 64 KB one a 431", async () => {
    const path = home(`/contacts/${await newContact()}`);
    const tag = (await call("GET", path)).headers.get("etag") as string;
    const bare = tag.slice(1, -1);
    for (const ifMatch of [`W/${tag}`, bare, "", `"${bare}`, `""${bare}""`, `"${bare.slice(1)}"`, "**"]) {
      const answer = await call("PATCH", path, { body: { title: "no" }, headers: { "if-match": ifMatch } });
      expect(`${ifMatch} → ${answer.status} ${answer.headers.get("content-type")}`).toBe(
        `${ifMatch} → 412 application/problem+json`,
      );
    }
    const huge = Array.from({ length: 2500 }, (_, i) => `"${String(i).padStart(22, "0")}"`).join(", ");
    expect((await call("PATCH", path, { body: { title: "no" }, headers: { "if-match": huge } })).status).toBe(
      431,
    );
    expect((await call("GET", path)).json.title).toBeNull();
  });

  it('a malformed If-Match (`xyz"<tag>"`, lowercase `w/"<tag>"`, `"<tag>"garbage`) is no list of entity tags: it matches nothing (412) and writes nothing', async () => {
    const path = home(`/contacts/${await newContact()}`);
    const tag = (await call("GET", path)).headers.get("etag") as string;
    for (const ifMatch of [`xyz${tag}`, `w/${tag}`, `${tag}garbage`]) {
      const answer = await call("PATCH", path, {
        body: { title: ifMatch },
        headers: { "if-match": ifMatch },
      });
      expect(`${ifMatch} → ${answer.status}`).toBe(`${ifMatch} → 412`);
    }
  });

  it("a record over 1 KB read with Accept-Encoding: gzip gets a `-gzip` ETag that names the same version: If-None-Match with it is a 304, If-Match with it writes", async () => {
    const path = home(`/contacts/${await newContact(bigContact())}`);
    const read = await call("GET", path, { headers: { "accept-encoding": "gzip" } });
    const tag = read.headers.get("etag") as string;
    expect(tag).toEndWith('-gzip"');
    const again = await call("GET", path, { headers: { "accept-encoding": "gzip", "if-none-match": tag } });
    const write = await call("PATCH", path, { body: { title: "CTO" }, headers: { "if-match": tag } });
    // Nothing changed between the read and the write; the 304 names the tag the client holds.
    expect(`${again.status} ${write.status}`).toBe("304 200");
    expect(again.headers.get("etag")).toBe(tag);
    // A HEAD is never compressed: it describes the plain answer, its tag and its length.
    const head = await call("HEAD", path, { headers: { "accept-encoding": "gzip" } });
    const plain = await call("GET", path, { headers: { "accept-encoding": "identity" } });
    expect(`${head.headers.get("etag")} ${head.headers.get("content-length")}`).toBe(
      `${plain.headers.get("etag")} ${Buffer.byteLength(plain.text)}`,
    );
  });

  it("HEAD with If-None-Match naming the current tag is a 304, as GET is (RFC 9110 §13.1.2 applies it to GET and HEAD alike)", async () => {
    const path = home(`/contacts/${await newContact()}`);
    const tag = (await call("GET", path)).headers.get("etag") ?? "";
    expect((await call("HEAD", path, { headers: { "if-none-match": tag } })).status).toBe(304);
  });

  it("a PATCH and a DELETE racing with one tag: exactly one wins, the other is a 412 or 404, never a 5xx", async () => {
    for (let round = 0; round < 12; round++) {
      const path = home(`/contacts/${await newContact()}`);
      const tag = (await call("GET", path)).headers.get("etag") as string;
      const [patch, remove] = await Promise.all([
        call("PATCH", path, { body: { title: "won" }, headers: { "if-match": tag } }),
        call("DELETE", path, { headers: { "if-match": tag } }),
      ]);
      const after = await call("GET", path);
      const outcome = `${patch.status} ${remove.status} ${after.status}`;
      // Either the PATCH won (the DELETE's tag went stale) or the DELETE did (the record is gone).
      expect(["200 412 200", "412 204 404", "404 204 404"]).toContain(outcome);
    }
  });

  it("identical GETs answered by either of two processes carry one tag, custom values and tags included", async () => {
    const answer = (method: string, path: string, body?: object) =>
      call(method, home(path), { body, server: group, headers: { connection: "close" } });
    for (const key of ["tier", "region", "size"])
      await answer("POST", "/custom-fields", { entity: "contact", key, label: key, type: "text" });
    const created = await answer("POST", "/contacts", {
      firstName: "Procs",
      tags: ["zeta", "alpha", "mid"],
      customFields: { size: "L", tier: "gold", region: "EU" },
    });
    expect(created.status).toBe(201);
    const tags = new Set<string | null>();
    for (let i = 0; i < 16; i++)
      tags.add((await answer("GET", `/contacts/${created.json.id}`)).headers.get("etag"));
    expect(tags.size).toBe(1);
  });
});

describe("strict JSON input", () => {
  it('a stage\'s probability takes a whole JSON number in range: 1e400, 1.5, 2^53+1, "50" and true are 422s; -0 and 50.0 are numbers', async () => {
    const pipeline = (await call("GET", home("/pipelines"))).json.data[0];
    const stage = home(`/stages/${pipeline.stages[1].id}`);
    for (const raw of ["1e400", "1.5", "9007199254740993", '"50"', "true", "[50]", "null"]) {
      const answer = await call("PATCH", stage, { body: `{"probability":${raw}}` });
      expect(`${raw} → ${answer.status} ${answer.json?.errors?.[0]?.field}`).toBe(`${raw} → 422 probability`);
    }
    for (const [raw, stored] of [
      ["-0", 0],
      ["50.0", 50],
      ["2.5e1", 25],
    ] as const) {
      const answer = await call("PATCH", stage, { body: `{"probability":${raw}}` });
      expect(answer.status).toBe(200);
      expect(answer.json.stages[1].probability).toBe(stored);
    }
  });

  it("C0, DEL, C1 and bidirectional controls in a name are a 422 naming it, nothing written", async () => {
    const before = await contactCount();
    for (const seq of ["\\u0000", "\\u001b[31m", "\\u007f", "\\u0085", "\\u202e", "\\u2066", "\\t"]) {
      const answer = await call("POST", home("/contacts"), { body: `{"firstName":"A${seq}da"}` });
      expect(`${seq} → ${answer.status} ${answer.json?.errors?.[0]?.field}`).toBe(`${seq} → 422 firstName`);
    }
    expect(await contactCount()).toBe(before);
  });

  it("a lone surrogate (\\ud800, \\udc00) in a name, a tag or a custom value's key is a 422 naming where it is, never stored as U+FFFD; a pair is kept", async () => {
    const before = await contactCount();
    for (const [body, field] of [
      ['{"firstName":"A\\ud800B"}', "firstName"],
      ['{"firstName":"A\\uDC00"}', "firstName"],
      ['{"firstName":"Ada","tags":["ok","x\\ud83d"]}', "tags.1"],
      ['{"firstName":"Ada","customFields":{"k\\ud800":1}}', "customFields"],
    ]) {
      const answer = await call("POST", home("/contacts"), { body });
      expect(`${body} → ${answer.status} ${answer.json?.errors?.[0]?.field}`).toBe(`${body} → 422 ${field}`);
    }
    expect(await contactCount()).toBe(before);
    const paired = await call("POST", home("/contacts"), { body: '{"firstName":"A\\ud83d\\ude00"}' });
    expect(`${paired.status} ${paired.json.firstName}`).toBe("201 A😀");
  });

  it("U+2028 and U+2029 (line and paragraph separators) in single-line text are a 422 naming the field, like every other line break", async () => {
    for (const seq of ["\\u2028", "\\u2029"]) {
      const answer = await call("POST", home("/contacts"), { body: `{"firstName":"A${seq}B"}` });
      expect(`${seq} → ${answer.status} ${answer.json?.errors?.[0]?.field}`).toBe(`${seq} → 422 firstName`);
    }
  });

  it.skip("DEFECT: 15,000 unknown customFields keys (a 230 KB body) get a 2 MB 422 with one error each, built in ~90 ms on the event loop; the errors should be capped", async () => {
    const customFields = Object.fromEntries(Array.from({ length: 15_000 }, (_, i) => [`k${i}`, i]));
    const answer = await call("POST", home("/contacts"), { body: { firstName: "x", customFields } });
    expect(answer.status).toBe(422);
    expect(answer.text.length).toBeLessThan(64 * 1024);
  });
});

describe("one rule for query parameters", () => {
  it("a repeat spelled another way (percent-encoded name, bare name), `limit[]`, `;` and 10,000 parameters are 4xx, never ignored", async () => {
    const cases: [string, number][] = [
      ["/contacts?limit=1&%6cimit=2", 400],
      ["/contacts?limit=1&limi%74=2", 400],
      ["/contacts?limit=1&limit", 400],
      ["/contacts?limit[]=1", 400],
      ["/contacts?limit=1;limit=2", 400],
      ["/contacts?LIMIT=1", 400],
      [`/contacts?${Array.from({ length: 10_000 }, (_, i) => `p${i}=1`).join("&")}`, 431],
      [`/contacts?${Array.from({ length: 1_500 }, () => "a=1").join("&")}`, 400],
    ];
    for (const [path, status] of cases) {
      const answer = await call("GET", home(path));
      expect(`${path.slice(0, 40)} → ${answer.status}`).toBe(`${path.slice(0, 40)} → ${status}`);
    }
  });

  it("a nameless parameter (`?=1`) is a 400 on writes, item routes and lists alike, and writes nothing", async () => {
    const before = await contactCount();
    const created = await call("POST", home("/contacts?=1"), { body: { firstName: "Nameless" } });
    const id = await newContact();
    const read = await call("GET", home(`/contacts/${id}?=1`));
    const list = await call("GET", home("/contacts?=1"));
    expect(`${created.status} ${read.status} ${list.status}`).toBe("400 400 400");
    expect(await contactCount()).toBe(before + 1);
  });
});

describe("405 and Allow", () => {
  it("OPTIONS, TRACE, PUT, PROPFIND and QUERY on a record are 405 problem+json with Allow, before the key is checked", async () => {
    const path = home(`/contacts/${await newContact()}`);
    for (const method of ["OPTIONS", "TRACE", "PUT", "PROPFIND", "QUERY"]) {
      const answer = await call(method, path, { key: null });
      expect(
        `${method} ${answer.status} ${answer.headers.get("allow")} ${answer.headers.get("content-type")}`,
      ).toBe(`${method} 405 DELETE, GET, HEAD, PATCH application/problem+json`);
    }
  });

  it("GET /widgets/bulk and /widgets/batch (paths the API does not have) are 404s without Allow, to GET and POST alike", async () => {
    for (const path of ["/widgets/bulk", "/widgets/batch"])
      for (const method of ["GET", "POST"]) {
        const answer = await call(method, home(path), method === "POST" ? { body: { ids: [1] } } : {});
        expect(`${method} ${path} ${answer.status} ${answer.headers.get("allow")}`).toBe(
          `${method} ${path} 404 null`,
        );
      }
  });

  it("HEAD on a record answers its GET's ETag and Content-Length (RFC 9110 §8.6: the GET's or absent, never 0)", async () => {
    const path = home(`/contacts/${await newContact()}`);
    const get = await call("GET", path);
    const head = await call("HEAD", path);
    expect(head.headers.get("etag")).toBe(get.headers.get("etag"));
    expect([null, String(Buffer.byteLength(get.text))]).toContain(head.headers.get("content-length"));
  });
});

const limitHeaders = (answer: Answer) =>
  ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"].map((name) => answer.headers.get(name));

describe("rate limits", () => {
  it("RateLimit-* on 200, 304, 401, 404, 405, 422 and 429 answers are whole numbers, 0 ≤ Remaining ≤ Limit, Reset ≥ 0", async () => {
    const from = freshAddress();
    const path = home(`/contacts/${await newContact()}`);
    const tag = (await call("GET", path, { from })).headers.get("etag") as string;
    const answers = [
      await call("GET", path, { from }),
      await call("GET", path, { from, headers: { "if-none-match": tag } }),
      await call("GET", home("/contacts/1"), { from }),
      await call("PUT", path, { from }),
      await call("POST", home("/contacts"), { from, body: { firstName: "" } }),
      await call("GET", path, { from, key: "wrong" }),
      await call("GET", path, { from, key: "wrong" }),
      await call("GET", path, { from, key: "wrong" }),
      await call("GET", path, { from }),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 304, 404, 405, 422, 401, 401, 401, 429]);
    for (const answer of answers) {
      const [limit, remaining, reset] = limitHeaders(answer).map(Number) as [number, number, number];
      for (const n of [limit, remaining, reset]) expect(Number.isInteger(n)).toBe(true);
      expect(remaining).toBeGreaterThanOrEqual(0);
      expect(remaining).toBeLessThanOrEqual(limit);
      expect(reset).toBeGreaterThanOrEqual(0);
    }
  });

  it("a 401's RateLimit-* describe the key-failure bucket when it is the nearest to refusing: the last 401 before the 429s says Remaining 0", async () => {
    const from = freshAddress();
    const answers: Answer[] = [];
    for (let i = 0; i < 3; i++) answers.push(await call("GET", home("/contacts"), { from, key: "wrong" }));
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401]);
    expect((await call("GET", home("/contacts"), { from })).status).toBe(429);
    expect(answers[2]?.headers.get("ratelimit-remaining")).toBe("0");
  });

  it("after the key-failure lockout a right key is a 429 whose Retry-After equals RateLimit-Reset, and waiting Retry-After is enough", async () => {
    const from = freshAddress();
    for (let i = 0; i < 3; i++)
      expect((await call("GET", home("/contacts"), { from, key: "wrong" })).status).toBe(401);
    const refused = await call("GET", home("/contacts"), { from });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(6);
    expect(refused.headers.get("ratelimit-reset")).toBe(String(retryAfter));
    expect(refused.headers.get("ratelimit-remaining")).toBe("0");
    await Bun.sleep(retryAfter * 1000 + 50);
    expect((await call("GET", home("/contacts"), { from })).status).toBe(200);
  });

  it("behind a trusted proxy, entries a client puts before its own address in X-Forwarded-For do not give it a fresh bucket", async () => {
    const attacker = freshAddress();
    for (let i = 0; i < 3; i++) {
      const guess = await call("GET", home("/contacts"), { from: `10.0.0.${i}, ${attacker}`, key: "wrong" });
      expect(guess.status).toBe(401);
    }
    expect((await call("GET", home("/contacts"), { from: `192.0.2.77, ${attacker}` })).status).toBe(429);
    // Another client's address (the proxy's last entry) is not locked out by the attacker's guesses.
    expect((await call("GET", home("/contacts"), { from: `${attacker}, ${freshAddress()}` })).status).toBe(
      200,
    );
  });

  it("without a trusted proxy, X-Forwarded-For is ignored: changing it does not lift a lockout", async () => {
    for (let i = 0; i < 3; i++)
      expect((await call("GET", home("/contacts"), { server: direct, key: "wrong" })).status).toBe(401);
    for (const from of ["192.0.2.1", "2001:db8::1", "unknown", ""]) {
      const answer = await call("GET", home("/contacts"), { server: direct, from });
      expect(`${from} → ${answer.status}`).toBe(`${from} → 429`);
    }
  });

  it("an unknown workspace and a wrong key: every header but Date and X-Request-Id equal (Server-Timing included; the CSP but its random nonce), and the same bytes", async () => {
    // Warm the catalog's cache for the real workspace, as its own users would.
    expect((await call("GET", home("/contacts"))).status).toBe(200);
    const shape = async (slug: string) => {
      const answer = await call("GET", `/t/${slug}/contacts`, { key: otherKey });
      const skip = new Set(["date", "x-request-id"]);
      // The CSP's nonce is fresh for every answer: random, it tells nothing; the rest must match.
      const headers = [...answer.headers.entries()]
        .filter(([name]) => !skip.has(name))
        .map(([name, value]) => [name, value.replace(/'nonce-[^']*'/g, "'nonce'")]);
      return JSON.stringify({ status: answer.status, headers, text: answer.text });
    };
    const wrongKey = await shape(HOME);
    expect(wrongKey).toContain('"status":401');
    expect(await shape("trial-never-was")).toBe(wrongKey);
    expect(await shape("Not-A-Slug!")).toBe(wrongKey);
  });

  it("an API 401 carries no Server-Timing, which would tell a workspace in use (its slug cached, 0 queries) from one that does not exist (1 query)", async () => {
    expect((await call("GET", home("/contacts"))).status).toBe(200);
    const queries = async (slug: string) =>
      /desc="([^"]*)"/.exec(
        (await call("GET", `/t/${slug}/contacts`, { key: otherKey })).headers.get("server-timing") ?? "",
      )?.[1] ?? "none";
    expect(await queries(`trial-unseen-${Date.now()}`)).toBe(await queries(HOME));
  });
});
