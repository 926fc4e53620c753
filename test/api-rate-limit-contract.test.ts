import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

/**
 * The API's rate-limit contract: RateLimit-Limit, -Remaining and -Reset on every answer; a key
 * and its workspace each have a bucket, 429 problem+json with Retry-After past either; failed
 * key checks from one address are throttled; and a workspace that does not exist answers
 * exactly as a wrong key does. Small limits so that a test can go past them: a key 10 requests
 * (1 a second for 10 s), a workspace 20, 20 failed key checks per 10 minutes per address.
 */

const dir = tempDir("crm-api-limits-");
let server: TestServer;
let keyA = "";
let keyB = "";
let keyC = "";
let keyOther = "";
let tenantId = "";

beforeAll(async () => {
  const data = new DataDir(dir.path);
  const home = await data.tenant("limits-home");
  tenantId = home.id;
  await data.tenant("limits-other");
  keyA = await data.apiKey("limits-home", "member");
  keyB = await data.apiKey("limits-home", "member");
  keyC = await data.apiKey("limits-home", "member");
  keyOther = await data.apiKey("limits-other", "member");
  data.close();
  server = await startServer({
    dataDir: dir.path,
    env: {
      CRM_TRUST_PROXY: "true",
      CRM_RATE_LIMIT_PER_ADDRESS: "1000",
      CRM_RATE_LIMIT_PER_WORKSPACE: "2",
      CRM_RATE_LIMIT_PER_KEY: "1",
      CRM_RATE_LIMIT_BURST_SECONDS: "10",
      CRM_API_KEY_FAILURES: "20",
      CRM_API_KEY_FAILURE_WINDOW_SECONDS: "600",
    },
  });
});

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

let addresses = 0;
/** A client address of its own: nothing else in these tests has used it. */
const freshAddress = () => `203.0.113.${++addresses}`;

function call(path: string, key: string | undefined, from: string, method = "GET") {
  return fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { "x-forwarded-for": from, ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) },
  });
}

const limitHeaders = (response: Response) =>
  ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"].map((name) => response.headers.get(name));

/** A key of the right shape for no workspace at all: `crm_<16 base32>_<43 base64url>`. */
function randomKey(
  tenant = Array.from({ length: 16 }, () => "abcdefghijklmnopqrstuvwxyz234567"[rand(32)]).join(""),
) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  return `crm_${tenant}_${Array.from({ length: 43 }, () => alphabet[rand(64)]).join("")}`;
}
function rand(n: number): number {
  return (crypto.getRandomValues(new Uint32Array(1))[0] ?? 0) % n;
}

describe("RateLimit headers and 429s", () => {
  it("every API answer carries RateLimit-Limit, -Remaining and -Reset, Remaining going down", async () => {
    const from = freshAddress();
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await call("/t/limits-home/contacts", keyA, from);
      expect(response.status).toBe(200);
      const [limit, remaining, reset] = limitHeaders(response);
      expect(limit).toBe("10");
      expect(Number(reset)).toBeGreaterThanOrEqual(1);
      seen.push(Number(remaining));
    }
    expect(seen[0]).toBe(9);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeLessThan(seen[i - 1] as number);
    // Errors too: a missing record, a write refused, a wrong key (the address's bucket then).
    for (const [path, key] of [
      ["/t/limits-home/contacts/999999", keyA],
      ["/t/limits-home/contacts", "crm_nope"],
    ] as const) {
      const response = await call(path, key, from);
      expect(`${path} ${limitHeaders(response).every((h) => h !== null && /^\d+$/.test(h))}`).toBe(
        `${path} true`,
      );
    }
  });

  it("a key past its bucket gets 429 problem+json with Retry-After and Remaining 0; its workspace's other key does not", async () => {
    const from = freshAddress();
    let refused: Response | undefined;
    for (let i = 0; i < 30 && !refused; i++) {
      const response = await call("/t/limits-home/contacts", keyA, from);
      if (response.status === 429) refused = response;
      else expect(response.status).toBe(200);
    }
    expect(refused).toBeDefined();
    if (!refused) return;
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limitHeaders(refused).slice(0, 2)).toEqual(["10", "0"]);
    expect(await refused.json()).toMatchObject({
      status: 429,
      detail: "too many requests with this API key; slow down",
    });
    expect((await call("/t/limits-home/contacts", keyB, from)).status).toBe(200);
  });

  it("a workspace past its bucket refuses all its keys with 429; another workspace goes on", async () => {
    const from = freshAddress();
    let refused: Response | undefined;
    let allowed = 0;
    // B and C in turn: neither gets near its own ten before the workspace's twenty (ten of them
    // taken by A above) run out.
    for (let i = 0; i < 30 && !refused; i++) {
      const response = await call("/t/limits-home/contacts", i % 2 ? keyC : keyB, from);
      if (response.status === 429) refused = response;
      else allowed++;
    }
    expect(refused).toBeDefined();
    expect(allowed).toBeLessThan(16);
    expect(await refused?.json()).toMatchObject({
      detail: "too many requests for this workspace; slow down",
    });
    expect(Number(refused?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await call("/t/limits-other/contacts", keyOther, from)).status).toBe(200);
  });
});

describe("guessing keys", () => {
  it("3,000 random keys from one address: 20 get 401, the rest 429 with Retry-After; other addresses unaffected", async () => {
    const from = freshAddress();
    const statuses: number[] = [];
    for (let batch = 0; batch < 60; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          call(`/t/${i % 2 ? "limits-home" : `nowhere-${batch}-${i}`}/contacts`, randomKey(), from),
        ),
      );
      for (const answer of answers) {
        statuses.push(answer.status);
        if (answer.status === 429)
          expect(Number(answer.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
        await answer.arrayBuffer();
      }
    }
    const count = (status: number) => statuses.filter((s) => s === status).length;
    expect(count(401)).toBe(20);
    expect(count(429)).toBe(2980);
    // The address is throttled for the API as a whole, a right key included (no oracle).
    expect((await call("/t/limits-other/contacts", keyOther, from)).status).toBe(429);
    expect((await call("/t/limits-other/contacts", keyOther, freshAddress())).status).toBe(200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/crm_rate_limited_total\{limit="key_failures"\} 29\d\d/);
  });
});

describe("an unknown workspace and a wrong key answer the same", () => {
  it("same status, headers and body, for a wrong key, a key of another workspace and no key", async () => {
    const answer = async (slug: string, key: string | undefined) => {
      const response = await call(`/t/${slug}/contacts`, key, freshAddress());
      return `${response.status} ${response.headers.get("content-type")} ${response.headers.get("www-authenticate")} ${await response.text()}`;
    };
    const wrong = await answer("limits-home", randomKey());
    expect(wrong).toStartWith("401 application/problem+json Bearer");
    expect(await answer("no-such-workspace", randomKey())).toBe(wrong);
    expect(await answer("no-such-workspace", keyA)).toBe(wrong);
    expect(await answer("limits-other", keyA)).toBe(wrong);
    // A key naming this workspace's tenant id with a made-up secret: the hash check says the same.
    expect(await answer("limits-home", randomKey(tenantId))).toBe(wrong);
    expect(await answer("Not A Slug!", randomKey())).toBe(wrong);
    expect(await answer("no-such-workspace", undefined)).toBe(await answer("limits-home", undefined));
  });

  it("in comparable time: medians within 1 ms of each other over 200 interleaved pairs", async () => {
    const timed = async (slug: string) => {
      const started = performance.now();
      const response = await call(`/t/${slug}/contacts`, randomKey(), freshAddressFor(slug));
      await response.arrayBuffer();
      expect(response.status).toBe(401);
      return performance.now() - started;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 200; i++) {
      known.push(await timed("limits-home"));
      unknown.push(await timed(`gone-${i}`));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    expect(Math.abs(median(known) - median(unknown))).toBeLessThan(1);
  });
});

/** Addresses for the timing test: ten requests each, under the failure limit (20). */
let timingCalls = 0;
function freshAddressFor(_slug: string): string {
  return `198.18.${Math.floor(timingCalls++ / 10)}.1`;
}
