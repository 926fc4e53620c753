import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Shard } from "../src/tenancy/shard.ts";
import { waitForTask } from "./support/background-task.ts";
import { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, PASSWORD, signIn } from "./support/workspace.ts";

/**
 * README, Operations: security headers on every response (a per-request-nonce CSP without
 * unsafe-inline or unsafe-eval, frame-ancestors 'none', nosniff, Referrer-Policy, HSTS for a
 * year over https) and `Cache-Control: no-store` unless a response says otherwise; assets carry
 * a content hash in their URL and are cached for a year. Checked on every kind of answer: pages,
 * fragments, redirects, downloads, JSON, and the error funnel's 4xx and 5xx (HTML page, htmx
 * fragment, problem+json), each over plain http and behind a proxy that says https.
 */
const T = "hdr";
const HSTS = "max-age=31536000; includeSubDomains";
const ASSET_CACHE = "public, max-age=31536000, immutable";
const BODY_LIMIT = 4096;

let server: TestServer;
const dir = tempDir();
let data: DataDir;
let owner: BrowserClient;
let reader: BrowserClient;
let ownerKey: string;
let readerKey: string;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}
/** One request, sent with the extra headers given (the https variant adds X-Forwarded-Proto). */
type Send = (extra: Record<string, string>) => Promise<Answer>;

async function raw(
  path: string,
  init: RequestInit & { headers?: Record<string, string> } = {},
): Promise<Answer> {
  const response = await fetch(server.url + path, { redirect: "manual", ...init });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function apiSend(key: string | null, method: string, path: string, body?: string): Send {
  return (extra) =>
    raw(`/api/v1${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...extra,
      },
      body,
    });
}

/** What the headers say, in a shape that names every failing part at once. */
function securityOf(answer: Answer) {
  const csp = answer.headers.get("content-security-policy") ?? "";
  const directives = new Map(
    csp
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .map(([name, ...values]) => [name, values.join(" ")]),
  );
  return {
    scriptSrc: /^'nonce-[\w-]{22}'$/.test(directives.get("script-src") ?? ""),
    defaultSrc: directives.get("default-src"),
    objectSrc: directives.get("object-src"),
    baseUri: directives.get("base-uri"),
    frameAncestors: directives.get("frame-ancestors"),
    unsafe: /unsafe-inline|unsafe-eval/.test(csp),
    nosniff: answer.headers.get("x-content-type-options"),
    referrer: answer.headers.get("referrer-policy"),
    frameOptions: answer.headers.get("x-frame-options"),
  };
}

const SECURE = {
  scriptSrc: true,
  defaultSrc: "'self'",
  objectSrc: "'none'",
  baseUri: "'none'",
  frameAncestors: "'none'",
  unsafe: false,
  nosniff: "nosniff",
  referrer: "same-origin",
  frameOptions: "DENY",
};

/**
 * Sends `send` over plain http and as https through the trusted proxy, and checks the status,
 * the media type, the security headers, HSTS (https only) and Cache-Control of both answers.
 */
async function expectHeaders(
  label: string,
  send: Send,
  expected: { status: number; type: string | null; cache?: string },
): Promise<Answer[]> {
  // A 304 sends no policy: the stored response's stands, whose nonce is its page's (securityHeaders).
  const policy =
    expected.status === 304
      ? {
          defaultSrc: undefined,
          scriptSrc: false,
          objectSrc: undefined,
          baseUri: undefined,
          frameAncestors: undefined,
        }
      : {};
  const answers: Answer[] = [];
  for (const https of [false, true]) {
    const answer = await send(https ? { "x-forwarded-proto": "https" } : {});
    answers.push(answer);
    expect({
      label,
      https,
      status: answer.status,
      type: answer.headers.get("content-type")?.split(";")[0] ?? null,
      ...securityOf(answer),
      hsts: answer.headers.get("strict-transport-security"),
      cache: answer.headers.get("cache-control"),
    }).toEqual({
      label,
      https,
      status: expected.status,
      type: expected.type,
      ...SECURE,
      ...policy,
      hsts: https ? HSTS : null,
      cache: expected.cache ?? "no-store",
    });
  }
  return answers;
}

const useShard = <R>(fn: (shard: Shard) => R) => data.shards.use(data.get(T), fn);

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(T, `owner@${T}.test`);
  await data.user(T, `reader@${T}.test`, "read-only");
  ownerKey = await data.apiKey(T, "owner");
  readerKey = await data.apiKey(T, "read-only");
  server = await startServer({
    dataDir: dir.path,
    env: { CRM_TRUST_PROXY: "true", CRM_BODY_LIMIT_BYTES: String(BODY_LIMIT) },
  });
  owner = await signIn(server.url, T, `owner@${T}.test`);
  reader = await signIn(server.url, T, `reader@${T}.test`);
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

describe("security headers and no-store", () => {
  it("on pages, fragments, redirects and downloads", async () => {
    const html = "text/html";
    // A list page may be stored, privately, to be revalidated (conditional-pages.test.ts).
    await expectHeaders("contacts page", (h) => owner.get(`/t/${T}/contacts`, h), {
      status: 200,
      type: html,
      cache: "private, no-cache",
    });
    await expectHeaders(
      "contacts fragment",
      (h) => owner.request("GET", `/t/${T}/contacts`, { headers: { "hx-request": "true", ...h } }),
      {
        status: 200,
        type: html,
      },
    );
    await expectHeaders("board", (h) => owner.get(`/t/${T}/deals/board`, h), {
      status: 200,
      type: html,
      cache: "private, no-cache",
    });
    await expectHeaders("login page", (h) => new BrowserClient(server.url).get(`/t/${T}/login`, h), {
      status: 200,
      type: html,
    });
    await expectHeaders("signup page", (h) => new BrowserClient(server.url).get("/signup", h), {
      status: 200,
      type: html,
    });
    const redirects = await expectHeaders(
      "sign-in redirect",
      (h) => new BrowserClient(server.url).get(`/t/${T}/contacts`, h),
      { status: 303, type: null },
    );
    for (const r of redirects) expect(r.headers.get("location")).toStartWith(`/t/${T}/login`);
    const created = await expectHeaders(
      "form post",
      (h) => owner.post(`/t/${T}/contacts`, { firstName: "Headed", lastName: "Person" }, h),
      { status: 303, type: null },
    );
    for (const r of created) expect(r.headers.get("location")).toStartWith(`/t/${T}/contacts`);
    // A workspace download: the form starts a background task (a redirect to its page), the
    // page tells when the file is ready, the file is handed out once: one task per variant.
    const started = await expectHeaders(
      "workspace download started",
      (h) => owner.post(`/t/${T}/privacy/workspace.zip`, {}, h),
      { status: 303, type: null },
    );
    const tasks = await Promise.all(started.map((r) => waitForTask(owner, r.headers.get("location"))));
    expect(tasks.map((t) => [t.status, t.links.length])).toEqual([
      ["Done.", 1],
      ["Done.", 1],
    ]);
    await expectHeaders("background task page", (h) => owner.get(tasks[0]?.path as string, h), {
      status: 200,
      type: html,
    });
    const links = tasks.map((t) => t.links[0] as string);
    await expectHeaders(
      "workspace download",
      async (h) => {
        const response = await fetch(`${server.url}${links.shift()}`, {
          headers: { cookie: `crm_session=${owner.cookie("crm_session")}`, ...h },
        });
        return { status: response.status, headers: response.headers, text: await response.text() };
      },
      { status: 200, type: "application/zip" },
    );
    expect(links).toEqual([]);
    await expectHeaders("healthz", (h) => raw("/healthz", { headers: h }), {
      status: 200,
      type: "application/json",
    });
    await expectHeaders("readyz", (h) => raw("/readyz", { headers: h }), {
      status: 200,
      type: "application/json",
    });
  });

  it("on 4xx error pages and htmx error fragments, whose scripts carry the nonce of their own CSP", async () => {
    const html = "text/html";
    const pages = [
      ...(await expectHeaders("unknown path", (h) => raw("/nowhere", { headers: h }), {
        status: 404,
        type: html,
      })),
      ...(await expectHeaders(
        "unknown workspace",
        (h) => raw("/t/no-such-workspace/contacts", { headers: h }),
        {
          status: 404,
          type: html,
        },
      )),
      ...(await expectHeaders("unknown record", (h) => owner.get(`/t/${T}/contacts/1`, h), {
        status: 404,
        type: html,
      })),
      ...(await expectHeaders("unknown asset", (h) => raw("/assets/nope.js", { headers: h }), {
        status: 404,
        type: html,
      })),
      ...(await expectHeaders(
        "read-only user's write",
        (h) => reader.post(`/t/${T}/contacts`, { firstName: "No" }, h),
        {
          status: 403,
          type: html,
        },
      )),
      ...(await expectHeaders(
        "bad CSRF token",
        (h) => owner.post(`/t/${T}/contacts`, { firstName: "No", _csrf: "forged" }, h),
        {
          status: 403,
          type: html,
        },
      )),
    ];
    expect(pages).toHaveLength(12);
    for (const page of pages) {
      const nonce = /'nonce-([^']+)'/.exec(page.headers.get("content-security-policy") ?? "")?.[1];
      const scripts = page.text.match(/<script[^>]*>/g) ?? [];
      expect(scripts).toHaveLength(3);
      for (const script of scripts) expect(script).toContain(`nonce="${nonce}"`);
    }
    await expectHeaders(
      "htmx 403 fragment",
      (h) =>
        reader.request("POST", `/t/${T}/contacts`, {
          body: new URLSearchParams({ firstName: "No" }),
          headers: {
            "hx-request": "true",
            "x-csrf-token": reader.csrfToken,
            "content-type": "application/x-www-form-urlencoded",
            ...h,
          },
        }),
      { status: 403, type: html },
    );
  });

  it("on API answers and every problem+json error", async () => {
    const json = "application/json";
    const problem = "application/problem+json";
    const contact = await api(server.url, ownerKey)("POST", `/t/${T}/contacts`, { firstName: "Listed" });
    expect(contact.status).toBe(201);
    await expectHeaders("API list", apiSend(ownerKey, "GET", `/t/${T}/contacts`), {
      status: 200,
      type: json,
    });
    await expectHeaders("API record", apiSend(ownerKey, "GET", `/t/${T}/contacts/${contact.json.id}`), {
      status: 200,
      type: json,
    });
    await expectHeaders("API create", apiSend(ownerKey, "POST", `/t/${T}/contacts`, '{"firstName":"Made"}'), {
      status: 201,
      type: json,
    });
    await expectHeaders("API malformed JSON", apiSend(ownerKey, "POST", `/t/${T}/contacts`, "{"), {
      status: 400,
      type: problem,
    });
    const unauthorized = await expectHeaders("API without a key", apiSend(null, "GET", `/t/${T}/contacts`), {
      status: 401,
      type: problem,
    });
    for (const r of unauthorized) expect(r.headers.get("www-authenticate")).toBe('Bearer realm="crm"');
    await expectHeaders(
      "API read-only write",
      apiSend(readerKey, "POST", `/t/${T}/contacts`, '{"firstName":"No"}'),
      {
        status: 403,
        type: problem,
      },
    );
    await expectHeaders("API unknown record", apiSend(ownerKey, "GET", `/t/${T}/contacts/1`), {
      status: 404,
      type: problem,
    });
    await expectHeaders("API unknown route", apiSend(ownerKey, "GET", `/t/${T}/nothing-here`), {
      status: 404,
      type: problem,
    });
    await expectHeaders(
      "API body over the limit",
      apiSend(
        ownerKey,
        "POST",
        `/t/${T}/contacts`,
        JSON.stringify({ firstName: "x".repeat(BODY_LIMIT * 2) }),
      ),
      { status: 413, type: problem },
    );
    await expectHeaders(
      "API invalid field",
      apiSend(ownerKey, "POST", `/t/${T}/contacts`, '{"email":"not an email"}'),
      {
        status: 422,
        type: problem,
      },
    );
    // The document is public and the same for everyone: it says how long it may be cached.
    await expectHeaders("OpenAPI document", (h) => raw("/api/v1/openapi.json", { headers: h }), {
      status: 200,
      type: json,
      cache: "public, max-age=300",
    });
  });

  it("on 500s: the error page, the htmx fragment and problem+json", async () => {
    // Any insert into contacts fails inside the transaction, as a full disk or an I/O error would.
    await useShard((s) =>
      s.sqlite.run(
        "CREATE TRIGGER headers_test_refuse BEFORE INSERT ON contacts BEGIN SELECT RAISE(ABORT, 'refused by the headers test'); END",
      ),
    );
    try {
      const pages = await expectHeaders(
        "500 page",
        (h) => owner.post(`/t/${T}/contacts`, { firstName: "Fails" }, h),
        {
          status: 500,
          type: "text/html",
        },
      );
      for (const page of pages) {
        expect(page.text).toContain("500 · Internal Server Error");
        expect(page.text).not.toContain("refused by the headers test");
      }
      await expectHeaders(
        "500 htmx fragment",
        (h) =>
          owner.request("POST", `/t/${T}/contacts`, {
            body: new URLSearchParams({ firstName: "Fails" }),
            headers: {
              "hx-request": "true",
              "x-csrf-token": owner.csrfToken,
              "content-type": "application/x-www-form-urlencoded",
              ...h,
            },
          }),
        { status: 500, type: "text/html" },
      );
      const problems = await expectHeaders(
        "500 problem+json",
        apiSend(ownerKey, "POST", `/t/${T}/contacts`, '{"firstName":"Fails"}'),
        { status: 500, type: "application/problem+json" },
      );
      for (const p of problems) {
        expect(JSON.parse(p.text)).toMatchObject({ status: 500, title: "Internal Server Error" });
        expect(p.text).not.toContain("refused by the headers test");
      }
      // It failed where the test made it fail.
      await server.waitForLine((l) => l.error === "refused by the headers test");
    } finally {
      await useShard((s) => s.sqlite.run("DROP TRIGGER headers_test_refuse"));
    }
  });
});

describe("assets", () => {
  it("are served under a content-hash URL, cached for a year, answered 304 when unchanged, with the security headers", async () => {
    const page = await owner.get(`/t/${T}/contacts`);
    const linked = [...page.text.matchAll(/(?:href|src)="\/assets\/([\w.-]+)\?v=([0-9a-f]+)"/g)].map((m) => ({
      name: m[1] as string,
      hash: m[2] as string,
    }));
    expect(linked.map((a) => a.name).sort()).toEqual([
      "app.css",
      "app.js",
      "favicon.svg",
      "htmx.js",
      "hx-csp.js",
    ]);
    const types: Record<string, string> = {
      css: "text/css",
      js: "text/javascript",
      svg: "image/svg+xml",
    };
    for (const { name, hash } of linked) {
      const type = types[name.split(".").pop() as string] as string;
      const [plain] = await expectHeaders(name, (h) => raw(`/assets/${name}?v=${hash}`, { headers: h }), {
        status: 200,
        type,
        cache: ASSET_CACHE,
      });
      // The URL names the bytes served: a change to the file is a new URL, never a stale cached copy.
      const body = new Uint8Array(
        await (await fetch(`${server.url}/assets/${name}?v=${hash}`)).arrayBuffer(),
      );
      expect({ name, hash: new Bun.CryptoHasher("sha256").update(body).digest("hex").slice(0, 12) }).toEqual({
        name,
        hash,
      });
      // fetch accepts zstd: the precompressed bytes carry a tag of their own (compression.test.ts).
      expect(plain?.headers.get("etag")).toBe(`"${hash}-zstd"`);
      const identity = await raw(`/assets/${name}?v=${hash}`, { headers: { "accept-encoding": "identity" } });
      expect(identity.headers.get("etag")).toBe(`"${hash}"`);
      const unchanged = await expectHeaders(
        `${name} revalidated`,
        (h) => raw(`/assets/${name}?v=${hash}`, { headers: { "if-none-match": `"${hash}"`, ...h } }),
        { status: 304, type: type, cache: ASSET_CACHE },
      );
      for (const r of unchanged) {
        expect(r.text).toBe("");
        expect(r.headers.get("etag")).toBe(`"${hash}"`);
      }
      const stale = await raw(`/assets/${name}?v=${hash}`, {
        headers: { "if-none-match": '"0123456789ab"' },
      });
      expect(stale.status).toBe(200);
      expect(stale.text.length).toBe(new TextDecoder().decode(body).length);
    }
  });
});

describe("https behind a proxy", () => {
  /** Each cookie an answer sets, with whether it carries the Secure attribute. */
  const cookiesOf = (answer: Answer) =>
    Object.fromEntries(
      answer.headers.getSetCookie().map((cookie) => {
        const [pair, ...attributes] = cookie.split(";").map((part) => part.trim());
        return [
          pair?.split("=")[0] ?? "",
          attributes.some((attribute) => attribute.toLowerCase() === "secure") ? "Secure" : "not Secure",
        ];
      }),
    );

  /**
   * A visitor's first page (which sets the pre-sign-in CSRF cookie), the sign-in (the session
   * cookie) and a page after it, all claiming X-Forwarded-Proto: https, on `base`.
   */
  async function visitClaimingHttps(base: string) {
    const claim = { "x-forwarded-proto": "https" };
    const client = new BrowserClient(base);
    const login = await client.get(`/t/${T}/login`, claim);
    const signedIn = await client.post(
      `/t/${T}/login`,
      { email: `owner@${T}.test`, password: PASSWORD, next: "" },
      claim,
    );
    const page = await client.get(`/t/${T}/contacts`, claim);
    return [login, signedIn, page].map((answer) => ({
      status: answer.status,
      hsts: answer.headers.get("strict-transport-security"),
      cookies: cookiesOf(answer),
    }));
  }

  it("a server not told to trust a proxy ignores a claimed X-Forwarded-Proto: https (no HSTS, no Secure cookie); one told to trust it sends both", async () => {
    const untrusting = await startServer({ dataDir: dir.path });
    try {
      expect(await visitClaimingHttps(untrusting.url)).toEqual([
        { status: 200, hsts: null, cookies: { crm_csrf: "not Secure" } },
        { status: 303, hsts: null, cookies: { crm_session: "not Secure", crm_device: "not Secure" } },
        { status: 200, hsts: null, cookies: {} },
      ]);
    } finally {
      await untrusting.stop();
    }
    // The server of the other tests runs with CRM_TRUST_PROXY=true.
    expect(await visitClaimingHttps(server.url)).toEqual([
      { status: 200, hsts: HSTS, cookies: { crm_csrf: "Secure" } },
      { status: 303, hsts: HSTS, cookies: { crm_session: "Secure", crm_device: "Secure" } },
      { status: 200, hsts: HSTS, cookies: {} },
    ]);
  });
});
