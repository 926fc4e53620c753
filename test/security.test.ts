import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, PASSWORD, signIn } from "./support/workspace.ts";

let server: TestServer;
const dir = tempDir();
let data: DataDir;

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("sec", "owner@sec.test");
  await data.tenant("sec-two", "owner@two.test");
  server = await startServer({
    dataDir: dir.path,
    env: { CRM_TRUST_PROXY: "true", CRM_LOGIN_FAILURES_PER_ACCOUNT: "3", CRM_LOGIN_FAILURES_PER_IP: "6" },
  });
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

describe("security headers", () => {
  it("every response has a nonce CSP without unsafe-inline or unsafe-eval, and the page's scripts carry that nonce", async () => {
    const client = await signIn(server.url, "sec", "owner@sec.test");
    const page = await client.get("/t/sec/contacts");
    const csp = page.headers.get("content-security-policy") as string;
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1] as string;
    expect(nonce.length).toBeGreaterThanOrEqual(20);
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).toContain("frame-ancestors 'none'");
    // The layout loads htmx, its CSP extension and app.js; each carries this response's nonce.
    const scripts = page.text.match(/<script[^>]*>/g) ?? [];
    expect(scripts).toHaveLength(3);
    for (const script of scripts) expect(script).toContain(`nonce="${nonce}"`);
    expect(page.text).not.toMatch(/<script(?![^>]*src=)[^>]*>/);
    expect(page.text).not.toContain(" style=");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect(page.headers.get("referrer-policy")).toBe("same-origin");
    const again = await client.get("/t/sec/contacts");
    expect(again.headers.get("content-security-policy")).not.toBe(csp);
  });

  it("sends HSTS for a year, and Secure cookies, only over https", async () => {
    const plain = await fetch(`${server.url}/healthz`);
    expect(plain.headers.get("strict-transport-security")).toBeNull();
    const https = await fetch(`${server.url}/t/sec/login`, { headers: { "x-forwarded-proto": "https" } });
    expect(https.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
    expect(https.headers.getSetCookie().join()).toContain("Secure");
  });
});

describe("escaping", () => {
  it("renders HTML in every field as text, on every page that shows it", async () => {
    const key = await data.apiKey("sec");
    const call = api(server.url, key);
    const evil = `<script>alert(1)</script><img src=x onerror=alert(2)>"'`;
    const company = await call("POST", "/t/sec/companies", { name: evil, city: evil, country: evil });
    expect(company.status).toBe(201);
    const contact = await call("POST", "/t/sec/contacts", {
      firstName: evil,
      lastName: evil,
      title: evil,
      companyId: company.json.id,
      tags: ["x<b>y"],
    });
    expect(contact.status).toBe(422); // tags allow letters, digits and - _ . & / only
    const ok = await call("POST", "/t/sec/contacts", {
      firstName: evil,
      lastName: evil,
      title: evil,
      companyId: company.json.id,
      tags: ["r&d"],
    });
    expect(ok.status).toBe(201);
    const client = await signIn(server.url, "sec", "owner@sec.test");
    for (const path of [
      "/t/sec/contacts",
      `/t/sec/contacts/${ok.json.id}`,
      `/t/sec/contacts/${ok.json.id}/edit`,
      `/t/sec/contacts/${ok.json.id}/edit?fragment=row`,
      `/t/sec/contacts/${ok.json.id}/delete`,
      "/t/sec/companies",
      `/t/sec/companies/${company.json.id}`,
      `/t/sec/companies/${company.json.id}/edit`,
    ]) {
      const page = await client.get(path);
      expect([path, page.status]).toEqual([path, 200]);
      expect(page.text).not.toContain("<script>alert");
      expect(page.text).not.toContain("<img src=x");
      expect(page.text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    }
  });

  it("never turns a javascript: URL into a link: a scheme is refused, a pasted URL keeps only its host", async () => {
    const call = api(server.url, await data.apiKey("sec"));
    for (const domain of ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x"]) {
      const response = await call("POST", "/t/sec/companies", { name: "Refused link", domain });
      expect({
        domain,
        status: response.status,
        fields: response.json.errors.map((e: { field: string }) => e.field),
      }).toEqual({
        domain,
        status: 422,
        fields: ["domain"],
      });
    }
    const pasted = await call("POST", "/t/sec/companies", {
      name: "Pasted link",
      domain: 'http://x.example/"onmouseover=alert(1)',
    });
    expect(pasted.status).toBe(201);
    expect(pasted.json.domain).toBe("x.example");
    const client = await signIn(server.url, "sec", "owner@sec.test");
    const page = await client.get("/t/sec/companies");
    expect(page.text).not.toContain("Refused link");
    expect(page.text).toContain(
      '<a href="https://x.example" rel="noopener noreferrer nofollow" target="_blank">x.example</a>',
    );
    expect(page.text.toLowerCase()).not.toContain('href="javascript:');
    expect(page.text.toLowerCase()).not.toContain('href="data:');
    expect(page.text).not.toContain("onmouseover");
  });
});

describe("CSRF", () => {
  it("refuses writes with no token, a wrong token, another session's token, or from another site", async () => {
    const client = await signIn(server.url, "sec", "owner@sec.test");
    const other = await signIn(server.url, "sec", "owner@sec.test");
    const before = await data.shards.use(data.get("sec"), (s) =>
      s.statement("SELECT count(*) AS n FROM contacts").get(),
    );
    const attempts = [{ _csrf: "" }, { _csrf: "wrong" }, { _csrf: other.csrfToken }];
    for (const fields of attempts) {
      const response = await client.post("/t/sec/contacts", { firstName: "Csrf", ...fields });
      expect(response.status).toBe(403);
    }
    const crossSite = await client.post(
      "/t/sec/contacts",
      { firstName: "Csrf" },
      { "sec-fetch-site": "cross-site" },
    );
    expect(crossSite.status).toBe(403);
    expect((await client.post("/t/sec/logout", { _csrf: "wrong" })).status).toBe(403);
    const after = await data.shards.use(data.get("sec"), (s) =>
      s.statement("SELECT count(*) AS n FROM contacts").get(),
    );
    expect(after).toEqual(before);
  });

  it("protects the login form too (no login CSRF)", async () => {
    const client = new BrowserClient(server.url);
    await client.get("/t/sec/login");
    const response = await client.post("/t/sec/login", {
      _csrf: "forged",
      email: "owner@sec.test",
      password: PASSWORD,
    });
    expect(response.status).toBe(403);
  });
});

describe("login rate limits", () => {
  it("locks an account after repeated failures with 429 and Retry-After, even for the right password", async () => {
    const client = new BrowserClient(server.url);
    await client.get("/t/sec-two/login");
    const headers = { "x-forwarded-for": "198.51.100.7" };
    for (let i = 0; i < 3; i++) {
      expect(
        (
          await client.post(
            "/t/sec-two/login",
            { email: "owner@two.test", password: "wrong password" },
            headers,
          )
        ).status,
      ).toBe(401);
    }
    const locked = await client.post(
      "/t/sec-two/login",
      { email: "owner@two.test", password: PASSWORD },
      headers,
    );
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("counts attempts still being checked, so a burst of concurrent guesses cannot pass the limit", async () => {
    const client = new BrowserClient(server.url);
    await client.get("/t/sec-two/login");
    const headers = { "x-forwarded-for": "198.51.100.99" };
    const statuses = await Promise.all(
      Array.from({ length: 12 }, () =>
        client
          .post("/t/sec-two/login", { email: "burst@two.test", password: "wrong password" }, headers)
          .then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(3);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(9);
  });

  it("limits failures per address across accounts", async () => {
    const client = new BrowserClient(server.url);
    await client.get("/t/sec/login");
    const headers = { "x-forwarded-for": "203.0.113.9" };
    for (let i = 0; i < 6; i++) {
      const response = await client.post(
        "/t/sec/login",
        { email: `nobody${i}@sec.test`, password: "wrong password" },
        headers,
      );
      expect(response.status).toBe(401);
    }
    const blocked = await client.post(
      "/t/sec/login",
      { email: "owner@sec.test", password: PASSWORD },
      headers,
    );
    expect(blocked.status).toBe(429);
    const elsewhere = await client.post(
      "/t/sec/login",
      { email: "owner@sec.test", password: PASSWORD },
      { "x-forwarded-for": "203.0.113.10" },
    );
    expect(elsewhere.status).toBe(303);
  });
});

describe("password hashing under a flood", () => {
  it("answers 503 with Retry-After past the queue bound instead of hashing everything at once", async () => {
    const flood = await startServer({
      dataDir: dir.path,
      env: {
        CRM_ARGON2_MEMORY_KIB: "65536",
        CRM_ARGON2_TIME_COST: "2",
        CRM_HASH_CONCURRENCY: "1",
        CRM_HASH_MAX_WAITING: "2",
        CRM_LOGIN_FAILURES_PER_IP: "1000",
        CRM_LOGIN_FAILURES_PER_ACCOUNT: "1000",
      },
    });
    try {
      const client = new BrowserClient(flood.url);
      await client.get("/t/sec/login");
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          client.post("/t/sec/login", { email: `flood${i}@sec.test`, password: "wrong password" }),
        ),
      );
      const statuses = answers.map((r) => r.status);
      const refused = answers.filter((r) => r.status === 503);
      expect(refused.length).toBeGreaterThan(0);
      for (const r of refused) expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(3);
      expect(statuses.every((s) => s === 503 || s === 401)).toBe(true);
    } finally {
      await flood.stop();
    }
  });
});
