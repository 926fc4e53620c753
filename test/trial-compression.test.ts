import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { connect } from "node:net";
import { maskToken, unmaskToken } from "../src/http/middleware/csrf.ts";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { upload } from "./support/import-upload.ts";
import { rawFetch, withoutPerResponseValues } from "./support/raw-fetch.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, signIn } from "./support/workspace.ts";

/**
 * A hostile trial of response compression, precompressed assets and masked CSRF tokens, over the
 * real server: odd Accept-Encoding headers, HEAD against GET, conditional asset requests, big
 * pages and fragments decoded against their identity form, downloads, errors, forged and
 * malformed tokens, BREACH (no two responses carry the same token bytes), and clients that leave.
 */
const T = "trialcmp";
const U = "trialother";
let server: TestServer;
const dir = tempDir();
let data: DataDir;
let owner: BrowserClient;
let other: BrowserClient;
let key: string;
let cookie: string;
let assetUrl = "";
let contactId = "";
let dealId = "";

const raw = (path: string, headers: Record<string, string> = {}, method = "GET", body?: BodyInit) =>
  rawFetch(server.url + path, { method, headers, body });
const normalise = withoutPerResponseValues;

const tokensIn = (html: string) => [
  ...[...html.matchAll(/name="_csrf" value="([^"]+)"/g)].map((m) => m[1] as string),
  ...[...html.matchAll(/<meta name="csrf-token" content="([^"]+)"/g)].map((m) => m[1] as string),
];

async function contactCount(q: string): Promise<number> {
  const answer = await raw(`/api/v1/t/${T}/contacts?q=${encodeURIComponent(q)}`, {
    authorization: `Bearer ${key}`,
  });
  return (JSON.parse(answer.text) as { data: unknown[] }).data.length;
}

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(T);
  await data.tenant(U);
  await data.shards.use(data.get(T), (shard) => seedTenant(shard, { contacts: 220, seed: 11 }));
  key = await data.apiKey(T, "member");
  server = await startServer({ dataDir: dir.path });
  owner = await signIn(server.url, T, `owner@${T}.test`);
  other = await signIn(server.url, U, `owner@${U}.test`);
  cookie = `crm_session=${owner.cookie("crm_session")}`;
  const list = await owner.get(`/t/${T}/contacts`);
  assetUrl = /src="(\/assets\/htmx\.js\?v=[0-9a-f]+)"/.exec(list.text)?.[1] ?? "";
  contactId = /href="\/t\/[^/]+\/contacts\/(\d+)"/.exec(list.text)?.[1] ?? "";
  dealId = /href="\/t\/[^/]+\/deals\/(\d+)"/.exec((await owner.get(`/t/${T}/deals`)).text)?.[1] ?? "";
  if (!assetUrl || !contactId || !dealId) throw new Error("no asset, contact or deal found");
});

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

describe("odd Accept-Encoding headers on a real page", () => {
  const longJunk = `${Array.from({ length: 700 }, (_, i) => `x-enc${i}`).join(", ")}, gzip`;
  it.each([
    ["ZSTD", "zstd"],
    ["GZip", "gzip"],
    ["zstd;q=abc", "zstd"],
    ["zstd;Q=0, gzip", "gzip"],
    ["gzip;q=1e-3", "gzip"],
    ["gzip;q=0.001, zstd;q=0.0001", "gzip"],
    ["zstd, zstd, zstd, gzip, gzip", "zstd"],
    ["x-gzip", null],
    ["deflate, br", null],
    ["identity;q=0", null],
    ["*;q=0", null],
    ["*;q=0.1, zstd;q=0", "gzip"],
    [" , ;;; ,== ,q=1", null],
    ['gzip;foo="a,b;c", zstd;q=0', "gzip"],
    ["zstd;q=-1, gzip;q=2", "gzip"],
    [longJunk, "gzip"],
  ] as const)("%p gives %p, and the same page", async (header, expected) => {
    const started = performance.now();
    const answer = await raw(`/t/${T}/contacts`, { cookie, "accept-encoding": header });
    expect(performance.now() - started).toBeLessThan(3000);
    expect(answer.status).toBe(200);
    expect(answer.encoding).toBe(expected);
    expect(answer.response.headers.get("vary")).toContain("Accept-Encoding");
    expect(answer.text).toContain("</html>");
  });

  it("an 8 KB Accept-Encoding header is answered, not refused or crashed", async () => {
    const header = `${"a".repeat(8000)}, zstd`;
    const answer = await raw(`/t/${T}/contacts`, { cookie, "accept-encoding": header });
    expect([200, 431]).toContain(answer.status);
    if (answer.status === 200) expect(answer.encoding).toBe("zstd");
    expect((await raw("/healthz")).status).toBe(200);
  });
});

describe("HEAD against GET", () => {
  it("HEAD says the same content type and sends no body, in any encoding", async () => {
    for (const encoding of ["zstd", "gzip", ""]) {
      const headers: Record<string, string> = {
        cookie,
        ...(encoding ? { "accept-encoding": encoding } : {}),
      };
      const head = await raw(`/t/${T}/contacts`, headers, "HEAD");
      const get = await raw(`/t/${T}/contacts`, headers);
      expect(head.status).toBe(get.status);
      expect(head.bytes.byteLength).toBe(0);
      expect(head.response.headers.get("content-type")).toBe(get.response.headers.get("content-type"));
      // A HEAD never claims an encoding its GET would not use.
      if (head.encoding) expect(head.encoding).toBe(get.encoding as string);
    }
  });

  it("HEAD of a page says Vary: Accept-Encoding as its GET does (a cache keys HEAD and GET alike)", async () => {
    const head = await raw(`/t/${T}/contacts`, { cookie, "accept-encoding": "zstd" }, "HEAD");
    const get = await raw(`/t/${T}/contacts`, { cookie, "accept-encoding": "zstd" });
    expect(get.response.headers.get("vary")).toContain("Accept-Encoding");
    expect(head.response.headers.get("vary") ?? "").toContain("Accept-Encoding");
  });

  it("HEAD of an asset matches its GET's encoding, ETag and Vary", async () => {
    const url = assetUrl;
    const head = await raw(url, { "accept-encoding": "gzip" }, "HEAD");
    const get = await raw(url, { "accept-encoding": "gzip" });
    expect(head.status).toBe(200);
    expect(head.bytes.byteLength).toBe(0);
    for (const name of ["content-encoding", "etag", "vary", "content-type"])
      expect({ name, value: head.response.headers.get(name) }).toEqual({
        name,
        value: get.response.headers.get(name),
      });
  });
});

describe("conditional requests on assets", () => {
  let plainTag = "";
  beforeAll(async () => {
    plainTag = (await raw(assetUrl)).response.headers.get("etag") ?? "";
  });

  it("weak and listed validators of any encoding give 304 with Vary; others 200", async () => {
    const zstdTag = `${plainTag.slice(0, -1)}-zstd"`;
    const gzipTag = `${plainTag.slice(0, -1)}-gzip"`;
    for (const inm of [
      `W/${plainTag}`,
      `"nope", W/${gzipTag}`,
      `"nope",${zstdTag}`,
      `  ${plainTag}  ,  "x"`,
    ]) {
      const answer = await raw(assetUrl, { "accept-encoding": "zstd", "if-none-match": inm });
      expect({ inm, status: answer.status }).toEqual({ inm, status: 304 });
      expect(answer.bytes.byteLength).toBe(0);
      expect(answer.response.headers.get("vary")).toContain("Accept-Encoding");
    }
    for (const inm of [`${plainTag.slice(0, -1)}-br"`, `"${plainTag}"`, "", `W/"zstd"`]) {
      const answer = await raw(assetUrl, { "accept-encoding": "zstd", "if-none-match": inm });
      expect({ inm, status: answer.status }).toEqual({ inm, status: 200 });
    }
  });

  it("If-None-Match: * on an existing asset gives 304 (RFC 9110 13.1.2)", async () => {
    const answer = await raw(assetUrl, { "accept-encoding": "zstd", "if-none-match": "*" });
    expect(answer.status).toBe(304);
  });

  it("every encoding of every asset decodes to the plain file, Content-Length matching the bytes", async () => {
    const page = await owner.get(`/t/${T}/contacts`);
    const urls = [...page.text.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
    expect(urls.length).toBeGreaterThan(1);
    for (const url of new Set(urls)) {
      const plain = await raw(url);
      expect(plain.status).toBe(200);
      for (const encoding of ["zstd", "gzip"]) {
        const packed = await raw(url, { "accept-encoding": encoding });
        expect(packed.encoding).toBe(encoding);
        expect(packed.text).toBe(plain.text);
        const length = packed.response.headers.get("content-length");
        if (length !== null) expect(Number(length)).toBe(packed.bytes.byteLength);
      }
    }
  });

  it("no asset is sent encoded when its encoding is larger than the file (the favicon is 243 bytes)", async () => {
    const page = await owner.get(`/t/${T}/contacts`);
    const urls = [...page.text.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
    const grown: string[] = [];
    for (const url of new Set(urls)) {
      const plain = await raw(url);
      for (const encoding of ["zstd", "gzip"]) {
        const packed = await raw(url, { "accept-encoding": encoding });
        if (packed.bytes.byteLength > plain.bytes.byteLength)
          grown.push(`${url} ${encoding} ${plain.bytes.byteLength} -> ${packed.bytes.byteLength}`);
      }
    }
    expect(grown).toEqual([]);
  });

  it("an unknown asset is a 404, never an encoded empty body", async () => {
    const answer = await raw("/assets/nope.js", { "accept-encoding": "zstd" });
    expect(answer.status).toBe(404);
    expect(answer.text.length).toBeGreaterThan(0);
  });
});

describe("big pages, fragments and API lists decode to their identity answer", () => {
  const pages = [
    "/contacts?limit=200",
    "/companies?limit=200",
    "/deals?limit=200",
    "/deals/board",
    "/search?q=a",
    "/reports/pipeline",
    "/contacts/:contact",
    "/deals/:deal",
  ];
  it.each(pages)("%s", async (page) => {
    const path = `/t/${T}${page.replace(":contact", contactId).replace(":deal", dealId)}`;
    const plain = await raw(path, { cookie });
    expect(plain.status).toBe(200);
    expect(plain.encoding).toBeNull();
    for (const encoding of ["zstd", "gzip"]) {
      const packed = await raw(path, { cookie, "accept-encoding": encoding });
      expect(packed.status).toBe(200);
      if (plain.bytes.byteLength >= 1024) expect(packed.encoding).toBe(encoding);
      expect(normalise(packed.text)).toBe(normalise(plain.text));
      const length = packed.response.headers.get("content-length");
      if (length !== null) expect(Number(length)).toBe(packed.bytes.byteLength);
    }
  });

  it("htmx fragments (HX-Request) are compressed when large and decode to the identity fragment", async () => {
    for (const page of ["/contacts?limit=200", "/deals/board"]) {
      const path = `/t/${T}${page}`;
      const hx = { cookie, "hx-request": "true" };
      const plain = await raw(path, hx);
      const packed = await raw(path, { ...hx, "accept-encoding": "zstd" });
      expect(plain.status).toBe(200);
      expect(plain.text).not.toContain("<html");
      expect(plain.bytes.byteLength).toBeGreaterThan(1024);
      expect(packed.encoding).toBe("zstd");
      expect(packed.bytes.byteLength).toBeLessThan(plain.bytes.byteLength);
      expect(normalise(packed.text)).toBe(normalise(plain.text));
    }
  });

  it("an htmx POST answered with the board fragment works with a masked header token and comes compressed", async () => {
    const board = await owner.get(`/t/${T}/deals/board`);
    // A card's "Move to…" URL, and a stage of another column than the card's.
    const column =
      /data-stage-id="(\d+)"[^>]*>(?:(?!<section)[\s\S])*?<a class="move" href="(\/t\/[^"]+\/deals\/\d+\/stage)"/.exec(
        board.text,
      );
    expect(column).not.toBeNull();
    const [, cardStage, action] = column as RegExpExecArray;
    const stageId = [...board.text.matchAll(/data-stage-id="(\d+)"/g)]
      .map((m) => m[1])
      .find((id) => id !== cardStage);
    expect(stageId).toBeDefined();
    const answer = await raw(
      action as string,
      {
        cookie,
        "hx-request": "true",
        "x-csrf-token": owner.csrfToken,
        "content-type": "application/x-www-form-urlencoded",
        "accept-encoding": "zstd",
        origin: server.url,
      },
      "POST",
      new URLSearchParams({ stageId: stageId as string, _fragment: "board" }),
    );
    expect(answer.status).toBe(200);
    expect(answer.encoding).toBe("zstd");
    expect(answer.text).toContain('id="board"');
  });

  it("API lists of 200 records decode to the same JSON, gzip and zstd", async () => {
    for (const list of ["contacts", "companies", "deals"]) {
      const path = `/api/v1/t/${T}/${list}?limit=200`;
      const auth = { authorization: `Bearer ${key}` };
      const plain = await raw(path, auth);
      expect(plain.status).toBe(200);
      for (const encoding of ["zstd", "gzip"]) {
        const packed = await raw(path, { ...auth, "accept-encoding": encoding });
        expect(packed.encoding).toBe(encoding);
        expect(JSON.parse(packed.text)).toEqual(JSON.parse(plain.text));
        expect(packed.response.headers.get("content-type")).toStartWith("application/json");
      }
    }
  });
});

describe("API writes", () => {
  it("an idempotent event batch replayed in another encoding gives the same (compressed) JSON", async () => {
    const path = `/api/v1/t/${T}/events`;
    const body = JSON.stringify(Array.from({ length: 80 }, (_, i) => ({ bogus: i })));
    const headers = {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      "idempotency-key": "trial-compression-replay-1",
    };
    const first = await raw(path, { ...headers, "accept-encoding": "gzip" }, "POST", body);
    const again = await raw(path, { ...headers, "accept-encoding": "zstd" }, "POST", body);
    const plain = await raw(path, headers, "POST", body);
    expect(first.status).toBe(200);
    expect([again.status, plain.status]).toEqual([200, 200]);
    expect(first.bytes.byteLength).toBeGreaterThan(0);
    expect(JSON.parse(first.text).rejected.length).toBe(80);
    expect(again.response.headers.get("idempotency-replayed")).toBe("true");
    if (plain.bytes.byteLength >= 1024) expect([first.encoding, again.encoding]).toEqual(["gzip", "zstd"]);
    expect(JSON.parse(again.text)).toEqual(JSON.parse(first.text));
    expect(JSON.parse(plain.text)).toEqual(JSON.parse(first.text));
  });
});

describe("downloads are never encoded", () => {
  const expectDownload = (answer: Awaited<ReturnType<typeof raw>>) => {
    expect(answer.status).toBe(200);
    expect(answer.encoding).toBeNull();
    expect(answer.response.headers.get("content-disposition")).toStartWith("attachment");
    const length = answer.response.headers.get("content-length");
    if (length !== null) expect(Number(length)).toBe(answer.bytes.byteLength);
  };

  it("the contacts CSV export, asked for in zstd and gzip", async () => {
    for (const encoding of ["zstd", "gzip, zstd", "*"]) {
      const answer = await raw(`/t/${T}/exports/contacts.csv`, { cookie, "accept-encoding": encoding });
      expectDownload(answer);
      expect(answer.text.split("\n").length).toBeGreaterThan(200);
    }
  });

  it("a contact's privacy export ZIP", async () => {
    const answer = await raw(`/t/${T}/privacy/contacts/${contactId}/export`, {
      cookie,
      "accept-encoding": "zstd",
    });
    expectDownload(answer);
    expect([answer.bytes[0], answer.bytes[1]]).toEqual([0x50, 0x4b]);
  });

  it("a report's chart CSV", async () => {
    const page = await owner.get(`/t/${T}/reports/pipeline`);
    const href = /href="([^"]+\.csv[^"]*)"/.exec(page.text)?.[1]?.replaceAll("&amp;", "&");
    expect(href).toBeDefined();
    const answer = await raw(href as string, { cookie, "accept-encoding": "zstd" });
    expectDownload(answer);
  });
});

describe("errors", () => {
  it("a 404 page and an API problem are well formed in every encoding", async () => {
    for (const encoding of ["zstd", "gzip", ""]) {
      const ae: Record<string, string> = encoding ? { "accept-encoding": encoding } : {};
      const page = await raw(`/t/${T}/contacts/999999`, { cookie, ...ae });
      expect(page.status).toBe(404);
      expect(page.response.headers.get("content-type")).toStartWith("text/html");
      expect(page.text).toContain("</html>");
      const api = await raw(`/api/v1/t/${T}/contacts/999999`, { authorization: `Bearer ${key}`, ...ae });
      expect(api.status).toBe(404);
      expect(JSON.parse(api.text)).toHaveProperty("status", 404);
      const nowhere = await raw("/no/such/page", ae);
      expect(nowhere.status).toBe(404);
    }
  });

  it("a large validation problem (many bad fields) is compressed and decodes to the same problem", async () => {
    const path = `/api/v1/t/${T}/contacts`;
    const body = JSON.stringify({
      firstName: "x".repeat(5000),
      lastName: "y".repeat(5000),
      email: `${"z".repeat(3000)}@`,
    });
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const plain = await raw(path, headers, "POST", body);
    const packed = await raw(path, { ...headers, "accept-encoding": "gzip" }, "POST", body);
    expect(plain.status).toBe(packed.status);
    expect(plain.status).toBeGreaterThanOrEqual(400);
    expect(plain.status).toBeLessThan(500);
    expect(JSON.parse(packed.text)).toEqual(JSON.parse(plain.text));
    if (plain.bytes.byteLength >= 1024) expect(packed.encoding).toBe("gzip");
  });
});

describe("masked CSRF tokens, hostile", () => {
  it("a token from an older page still works after the render cache served newer pages", async () => {
    const old = await owner.get(`/t/${T}/contacts/new`);
    const oldToken = tokensIn(old.text)[0] as string;
    for (let i = 0; i < 3; i++) await owner.get(`/t/${T}/contacts?limit=50`);
    const created = await owner.post(`/t/${T}/contacts`, {
      _csrf: oldToken,
      firstName: "Older",
      lastName: "Pagetoken",
      email: "older.pagetoken@example.com",
    });
    expect(created.status).toBe(303);
    expect(await contactCount("Pagetoken")).toBe(1);
  });

  it("another session's masked token is refused (403) and writes nothing, form field or header", async () => {
    const foreign = tokensIn((await other.get(`/t/${U}/contacts/new`)).text)[0] as string;
    expect(unmaskToken(foreign)).toBeDefined();
    const byField = await owner.post(`/t/${T}/contacts`, {
      _csrf: foreign,
      firstName: "Foreign",
      lastName: "Fieldtoken",
    });
    expect(byField.status).toBe(403);
    const byHeader = await raw(
      `/t/${T}/contacts`,
      {
        cookie,
        "x-csrf-token": foreign,
        "hx-request": "true",
        "content-type": "application/x-www-form-urlencoded",
        origin: server.url,
      },
      "POST",
      new URLSearchParams({ firstName: "Foreign", lastName: "Headertoken" }),
    );
    expect(byHeader.status).toBe(403);
    expect(await contactCount("Fieldtoken")).toBe(0);
    expect(await contactCount("Headertoken")).toBe(0);
  });

  it("garbage, odd-length, wrong-pad and huge tokens are refused quickly with 403 (or 413), never 500", async () => {
    const mine = unmaskToken(tokensIn((await owner.get(`/t/${T}/contacts/new`)).text)[0] as string) as string;
    const good = maskToken(mine);
    const bytes = Buffer.from(good, "base64url");
    bytes[0] = (bytes[0] as number) ^ 1; // the pad changed without the masked half: another token
    const cases = [
      "!!!!",
      "a",
      good.slice(0, -1),
      good.slice(1),
      `${good}A`,
      `${good}${good}`,
      bytes.toString("base64url"),
      Buffer.from(good).toString("base64url"),
      maskToken(`${mine}\u0000`),
      "é".repeat(40),
      "x".repeat(100_000),
      good.repeat(1500),
    ];
    for (const token of cases) {
      const started = performance.now();
      const byField = await owner.post(`/t/${T}/contacts`, {
        _csrf: token,
        firstName: "Junk",
        lastName: "Tokenjunk",
      });
      expect({ len: token.length, status: byField.status }).toEqual({
        len: token.length,
        status: byField.status === 413 ? 413 : 403,
      });
      const byHeader = await raw(
        `/t/${T}/contacts`,
        {
          cookie,
          "x-csrf-token": token,
          "content-type": "application/x-www-form-urlencoded",
          origin: server.url,
        },
        "POST",
        new URLSearchParams({ firstName: "Junk", lastName: "Tokenjunk" }),
      );
      expect([403, 431]).toContain(byHeader.status);
      expect(performance.now() - started).toBeLessThan(2000);
    }
    expect(await contactCount("Tokenjunk")).toBe(0);
    expect((await raw("/healthz")).status).toBe(200);
  });

  it("the CSV upload takes a masked token in the header, and refuses another session's", async () => {
    const page = await owner.get(`/t/${T}/imports`);
    const masked = tokensIn(page.text)[0] as string;
    expect(unmaskToken(masked)).toBeDefined();
    const csv = "first_name,last_name,email\nUploaded,Viaheader,uploaded.viaheader@example.com\n";
    const ok = await upload(owner, T, csv, { csrf: null, headers: { "x-csrf-token": masked } });
    expect(ok.status).toBe(303);
    const foreign = tokensIn((await other.get(`/t/${U}/imports`)).text)[0] as string;
    const refused = await upload(owner, T, csv, { csrf: null, headers: { "x-csrf-token": foreign } });
    expect(refused.status).toBe(403);
    const refusedField = await upload(owner, T, csv, { csrf: foreign });
    expect(refusedField.status).toBe(403);
    const junk = await upload(owner, T, csv, { csrf: null, headers: { "x-csrf-token": "x".repeat(50_000) } });
    expect([403, 431]).toContain(junk.status);
  });
});

describe("BREACH: no two responses carry the same token bytes", () => {
  async function twice(path: string, headers: Record<string, string> = {}) {
    const a = await raw(path, { cookie, "accept-encoding": "zstd", ...headers });
    const b = await raw(path, { cookie, "accept-encoding": "zstd", ...headers });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    return [tokensIn(a.text), tokensIn(b.text), a.text, b.text] as const;
  }

  it.each([
    "/contacts?limit=50",
    "/contacts/new",
    "/deals/board",
    "/deals/:deal",
    "/contacts/:contact",
    "/imports",
    "/companies",
  ])("%s twice (render cache included)", async (page) => {
    const [first, second, text] = await twice(
      `/t/${T}${page.replace(":contact", contactId).replace(":deal", dealId)}`,
    );
    expect(first.length).toBeGreaterThan(0);
    const overlap = first.filter((t) => second.includes(t));
    expect(overlap).toEqual([]);
    // All masks of the one session token, and the raw token is nowhere in the page.
    const raws = new Set([...first, ...second].map((t) => unmaskToken(t)));
    expect(raws.size).toBe(1);
    const secret = [...raws][0] as string;
    expect(secret.length).toBeGreaterThan(20);
    expect(text).not.toContain(secret);
  });

  it("htmx fragments carry fresh masks too, and never the raw token", async () => {
    const [first, second, text] = await twice(`/t/${T}/deals/board`, { "hx-request": "true" });
    expect(first.length).toBeGreaterThan(0);
    expect(first.filter((t) => second.includes(t))).toEqual([]);
    const secret = unmaskToken(first[0] as string) as string;
    expect(text).not.toContain(secret);
  });

  it("the sign-in page's pre-session token is masked afresh too, and Set-Cookie survives compression", async () => {
    const a = await raw(`/t/${T}/login`, { "accept-encoding": "zstd" });
    const b = await raw(`/t/${T}/login`, { "accept-encoding": "identity" });
    expect(a.status).toBe(200);
    expect(a.response.headers.getSetCookie().length).toBe(b.response.headers.getSetCookie().length);
    const preCookie = a.response.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    const c1 = await raw(`/t/${T}/login`, { "accept-encoding": "zstd", cookie: preCookie });
    const c2 = await raw(`/t/${T}/login`, { "accept-encoding": "zstd", cookie: preCookie });
    const t1 = tokensIn(c1.text);
    const t2 = tokensIn(c2.text);
    expect(t1.length).toBeGreaterThan(0);
    expect(t1.filter((t) => t2.includes(t))).toEqual([]);
    expect(unmaskToken(t1[0] as string)).toBe(unmaskToken(t2[0] as string) as string);
  });
});

describe("clients that leave mid-response", () => {
  it("the server keeps answering after many aborted compressed and plain responses", async () => {
    const url = new URL(server.url);
    const aborts: Promise<void>[] = [];
    for (let i = 0; i < 24; i++) {
      aborts.push(
        new Promise<void>((resolve) => {
          const socket = connect(Number(url.port), url.hostname, () => {
            const ae =
              i % 3 === 0 ? "" : i % 3 === 1 ? "accept-encoding: zstd\r\n" : "accept-encoding: gzip\r\n";
            const target = i % 2 ? `/t/${T}/contacts?limit=200` : `/t/${T}/exports/contacts.csv`;
            socket.write(`GET ${target} HTTP/1.1\r\nhost: ${url.host}\r\ncookie: ${cookie}\r\n${ae}\r\n`);
          });
          let got = 0;
          socket.on("data", (chunk) => {
            got += chunk.length;
            if (got > 200) socket.destroy();
          });
          socket.on("close", () => resolve());
          socket.on("error", () => resolve());
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 5000);
        }),
      );
    }
    // And fetches aborted at once.
    for (let i = 0; i < 10; i++) {
      const controller = new AbortController();
      const pending = fetch(`${server.url}/t/${T}/deals/board`, {
        headers: { cookie, "accept-encoding": "zstd" },
        signal: controller.signal,
      }).catch(() => undefined);
      controller.abort();
      await pending;
    }
    await Promise.all(aborts);
    expect((await raw("/healthz")).status).toBe(200);
    const page = await raw(`/t/${T}/contacts?limit=200`, { cookie, "accept-encoding": "zstd" });
    expect(page.status).toBe(200);
    expect(page.text).toContain("</html>");
    expect(server.proc.exitCode).toBeNull();
  });

  it("Content-Length, when sent on a raw HTTP/1.1 exchange, matches the bytes that follow", async () => {
    const url = new URL(server.url);
    for (const ae of ["zstd", "gzip", "identity"]) {
      const reply = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const socket = connect(Number(url.port), url.hostname, () => {
          socket.write(
            `GET /t/${T}/contacts?limit=100 HTTP/1.1\r\nhost: ${url.host}\r\ncookie: ${cookie}\r\naccept-encoding: ${ae}\r\nconnection: close\r\n\r\n`,
          );
        });
        socket.on("data", (c) => chunks.push(Buffer.from(c)));
        socket.on("end", () => resolve(Buffer.concat(chunks)));
        socket.on("error", reject);
      });
      const split = reply.indexOf("\r\n\r\n");
      const head = reply.subarray(0, split).toString();
      const body = reply.subarray(split + 4);
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
      if (length !== undefined) expect({ ae, length: Number(length) }).toEqual({ ae, length: body.length });
      else expect(head).toMatch(/transfer-encoding:\s*chunked/i);
      if (ae !== "identity") expect(head.toLowerCase()).toContain(`content-encoding: ${ae}`);
    }
  });
});
