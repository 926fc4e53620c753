import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Hono } from "hono";
import {
  compression,
  MAX_COMPRESS_BYTES,
  MIN_COMPRESS_BYTES,
  negotiateEncoding,
} from "../src/http/middleware/compression.ts";
import { maskToken, tokenMatches, unmaskToken } from "../src/http/middleware/csrf.ts";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { rawFetch, withoutPerResponseValues } from "./support/raw-fetch.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, signIn } from "./support/workspace.ts";

/**
 * README, "Compression": pages, JSON and assets go compressed with the encoding the client
 * prefers (zstd, then gzip) between 1 KB and 4 MB; never a download, a HEAD, a 204/304, or a
 * response marked no-transform; Vary says Accept-Encoding; an encoded response has its own ETag;
 * the CSRF token in a page is masked afresh for every response (BREACH), and every mask of it works.
 */
const T = "cmp";
let server: TestServer;
const dir = tempDir();
let data: DataDir;
let owner: BrowserClient;
let key: string;
let cookie: string;

const rawGet = (path: string, headers: Record<string, string>, method = "GET") =>
  rawFetch(server.url + path, { method, headers });

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(T);
  await data.shards.use(data.get(T), (shard) => seedTenant(shard, { contacts: 60, seed: 7 }));
  key = await data.apiKey(T, "member");
  server = await startServer({ dataDir: dir.path });
  owner = await signIn(server.url, T, `owner@${T}.test`);
  cookie = `crm_session=${owner.cookie("crm_session")}`;
});

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

describe("what is sent for an Accept-Encoding header", () => {
  it.each([
    ["zstd", "zstd"],
    ["gzip", "gzip"],
    ["gzip, deflate, br, zstd", "zstd"],
    ["gzip;q=1, zstd;q=0.5", "gzip"],
    ["zstd;q=0, gzip", "gzip"],
    ["zstd;q=0, gzip;q=0", undefined],
    ["*", "zstd"],
    ["*;q=0.5, gzip", "gzip"],
    ["identity", undefined],
    ["br, deflate", undefined],
    ["", undefined],
    [undefined, undefined],
  ] as const)("%p → %p", (header, expected) => {
    expect(negotiateEncoding(header)).toBe(expected);
  });
});

describe("pages and JSON over the real server", () => {
  it("sends the list page in the encoding asked for, smaller, with the same page inside", async () => {
    const plain = await rawGet(`/t/${T}/contacts`, { cookie });
    expect(plain.response.status).toBe(200);
    expect(plain.encoding).toBeNull();
    expect(plain.response.headers.get("vary")).toContain("Accept-Encoding");
    for (const encoding of ["zstd", "gzip"]) {
      const page = await rawGet(`/t/${T}/contacts`, { cookie, "accept-encoding": encoding });
      expect(page.response.status).toBe(200);
      expect(page.encoding).toBe(encoding);
      expect(page.response.headers.get("vary")).toContain("Accept-Encoding");
      expect(page.response.headers.get("content-type")).toStartWith("text/html");
      expect(page.bytes.byteLength).toBeLessThan(plain.bytes.byteLength / 3);
      // The same page, but for what differs in every response (the nonce and the masked token).
      expect(withoutPerResponseValues(page.text)).toBe(withoutPerResponseValues(plain.text));
    }
  });

  it("compresses API JSON, and the decoded JSON is the same as the plain one", async () => {
    const path = `/api/v1/t/${T}/contacts?limit=50`;
    const auth = { authorization: `Bearer ${key}` };
    const plain = await rawGet(path, auth);
    const packed = await rawGet(path, { ...auth, "accept-encoding": "zstd" });
    expect(plain.response.status).toBe(200);
    expect(plain.bytes.byteLength).toBeGreaterThan(MIN_COMPRESS_BYTES);
    expect(packed.encoding).toBe("zstd");
    expect(JSON.parse(packed.text)).toEqual(JSON.parse(plain.text));
  });

  it("leaves small answers, HEAD requests and problems under 1 KB as they are", async () => {
    const health = await rawGet("/healthz", { "accept-encoding": "zstd" });
    expect(health.response.status).toBe(200);
    expect(health.encoding).toBeNull();
    const head = await rawGet(`/t/${T}/contacts`, { cookie, "accept-encoding": "zstd" }, "HEAD");
    expect(head.encoding).toBeNull();
    const missing = await rawGet(`/api/v1/t/${T}/contacts/1`, {
      authorization: `Bearer ${key}`,
      "accept-encoding": "zstd",
    });
    expect(missing.response.status).toBe(404);
    expect(missing.encoding).toBeNull();
    expect(missing.response.headers.get("content-type")).toStartWith("application/problem+json");
  });

  it("serves the assets precompressed, each encoding with its own ETag, and 304 for any of them", async () => {
    const url = /src="(\/assets\/htmx\.js\?v=[0-9a-f]+)"/.exec(
      (await owner.get(`/t/${T}/contacts`)).text,
    )?.[1];
    expect(url).toBeDefined();
    const plain = await rawGet(url as string, {});
    const zstd = await rawGet(url as string, { "accept-encoding": "zstd" });
    const gzip = await rawGet(url as string, { "accept-encoding": "gzip" });
    expect([plain.encoding, zstd.encoding, gzip.encoding]).toEqual([null, "zstd", "gzip"]);
    expect(zstd.text).toBe(plain.text);
    expect(gzip.text).toBe(plain.text);
    expect(zstd.bytes.byteLength).toBeLessThan(plain.bytes.byteLength / 2);
    const tags = [plain, zstd, gzip].map((a) => a.response.headers.get("etag"));
    expect(new Set(tags).size).toBe(3);
    expect(tags[1]).toBe(`${(tags[0] as string).slice(0, -1)}-zstd"`);
    for (const answer of [plain, zstd, gzip]) {
      expect(answer.response.headers.get("vary")).toContain("Accept-Encoding");
      expect(answer.response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    }
    for (const tag of tags) {
      const again = await rawGet(url as string, {
        "accept-encoding": "zstd",
        "if-none-match": tag as string,
      });
      expect(again.response.status).toBe(304);
      expect(again.bytes.byteLength).toBe(0);
    }
    const other = await rawGet(url as string, {
      "accept-encoding": "zstd",
      "if-none-match": '"0123456789ab"',
    });
    expect(other.response.status).toBe(200);
  });
});

describe("the CSRF token in pages (BREACH)", () => {
  it("is masked afresh in every response, and every mask of it is accepted", async () => {
    const first = await owner.get(`/t/${T}/contacts/new`);
    const firstToken = owner.csrfToken;
    const second = await owner.get(`/t/${T}/contacts/new`);
    const secondToken = owner.csrfToken;
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(firstToken).not.toBe(secondToken);
    expect(unmaskToken(firstToken)).toBe(unmaskToken(secondToken) as string);
    // The older page's token still works (both are masks of the session's token).
    const created = await owner.post(`/t/${T}/contacts`, {
      _csrf: firstToken,
      firstName: "Masked",
      lastName: "Token",
      email: "masked.token@example.com",
    });
    expect(created.status).toBe(303);
    const refused = await owner.post(`/t/${T}/contacts`, {
      _csrf: maskToken("not the session's token"),
      firstName: "Forged",
      lastName: "Token",
    });
    expect(refused.status).toBe(403);
    const list = await owner.get(`/t/${T}/contacts?q=Forged`);
    expect(list.text).not.toContain("Forged Token");
  });

  it("unmasks only what a mask can be, and compares in full", () => {
    const token = "k3uXbV2b7yJ0d0mE0Xl8sC3kz7Yq1zq5b8d0mQ9w3bM";
    expect(tokenMatches(token, maskToken(token))).toBe(true);
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(token, maskToken(`${token}x`))).toBe(false);
    expect(tokenMatches(token, maskToken(token.slice(1)))).toBe(false);
    expect(tokenMatches(token, "")).toBe(false);
    expect(tokenMatches(undefined, maskToken(token))).toBe(false);
    for (const junk of ["a", "abcde", "!!!!", "x".repeat(600), "====", "é"])
      expect(unmaskToken(junk)).toBeUndefined();
  });
});

describe("the rules, on a small app", () => {
  const big = "<p>row</p>".repeat(500);
  const app = new Hono();
  app.use(compression());
  app.get("/page", (c) => c.html(big));
  app.get("/tagged", (c) => c.html(big, 200, { ETag: '"v7"' }));
  app.get("/download", (c) =>
    c.body(big, 200, { "Content-Type": "text/html", "Content-Disposition": 'attachment; filename="a.html"' }),
  );
  app.get("/no-transform", (c) => c.html(big, 200, { "Cache-Control": "no-store, no-transform" }));
  app.get("/csv", (c) => c.body(big, 200, { "Content-Type": "text/csv" }));
  app.get("/small", (c) => c.html("<p>hi</p>"));
  app.get("/huge", (c) => c.json({ text: "x".repeat(MAX_COMPRESS_BYTES) }));
  app.get("/empty", (c) => c.body(null, 204));
  app.get("/cookie", (c) => {
    c.header("Set-Cookie", "a=1; Path=/");
    return c.html(big, 201);
  });
  const get = (path: string) => app.request(path, { headers: { "accept-encoding": "zstd, gzip" } });

  it("compresses a page, keeps its status and cookies, and gives an ETag of its own", async () => {
    const page = await get("/page");
    expect(page.headers.get("content-encoding")).toBe("zstd");
    expect(new TextDecoder().decode(Bun.zstdDecompressSync(new Uint8Array(await page.arrayBuffer())))).toBe(
      big,
    );
    const tagged = await get("/tagged");
    expect(tagged.headers.get("etag")).toBe('"v7-zstd"');
    const withCookie = await get("/cookie");
    expect(withCookie.status).toBe(201);
    expect(withCookie.headers.get("set-cookie")).toBe("a=1; Path=/");
    expect(withCookie.headers.get("content-encoding")).toBe("zstd");
    expect(withCookie.headers.get("content-length")).toBeNull();
  });

  it("never touches a download, a no-transform answer, CSV, tiny or huge bodies, or a 204", async () => {
    for (const path of ["/download", "/no-transform", "/csv", "/small", "/huge", "/empty"]) {
      const answer = await get(path);
      expect({ path, encoding: answer.headers.get("content-encoding") }).toEqual({ path, encoding: null });
    }
    expect((await (await get("/download")).text()).length).toBe(big.length);
    expect((await (await get("/huge")).text()).length).toBeGreaterThan(MAX_COMPRESS_BYTES);
  });
});
