import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { BrowserClient } from "./support/browser-client.ts";
import { decodeEntities, formEntries, parseForms } from "./support/html-forms.ts";
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
  await data.tenant("sec-crawl", "owner@crawl.test");
  await data.user("sec-crawl", "viewer@crawl.test", "read-only");
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

/** What a page carries that a nonce CSP governs: its script and style elements, inline styles and handlers, and where it leads. */
interface InlineCode {
  /** `<script>` and `<style>` elements with their nonce attribute ("" when absent). */
  code: { tag: string; nonce: string }[];
  /** Raw `<script` / `<style` openings in the text: what the parser must have seen. */
  rawOpenings: number;
  /** Elements with a style="" attribute, or an on…= / hx-on… handler attribute. */
  inline: string[];
  links: string[];
  fragments: string[];
}

function inlineCode(html: string): InlineCode {
  const found: InlineCode = {
    code: [],
    rawOpenings: (html.match(/<(script|style)\b/gi) ?? []).length,
    inline: [],
    links: [],
    fragments: [],
  };
  new HTMLRewriter()
    .on("*", {
      element(element) {
        const tag = element.tagName.toLowerCase();
        for (const [name] of element.attributes) {
          const attribute = name.toLowerCase();
          if (attribute === "style" || attribute.startsWith("on") || attribute.startsWith("hx-on"))
            found.inline.push(`<${tag} ${attribute}>`);
        }
        if (tag === "script" || tag === "style")
          found.code.push({ tag, nonce: element.getAttribute("nonce") ?? "" });
        const href = element.getAttribute("href");
        if (tag === "a" && href) found.links.push(decodeEntities(href));
        const hxGet = element.getAttribute("hx-get");
        if (hxGet) found.fragments.push(decodeEntities(hxGet));
      },
    })
    .transform(html);
  return found;
}

/** A URL's shape: ids and numbers as N, query names sorted; the crawl reads a few pages of each shape. */
function shapeOf(path: string): string {
  const url = new URL(path, "http://x");
  const query = [...url.searchParams.keys()].sort().join("&");
  return `${url.pathname}?${query}`.replace(/\d+/g, "N");
}

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

  it("on every page and fragment a crawl of the signed-in and signed-out app reaches, each <script> and <style> carries that response's CSP nonce, and nothing has a style attribute or an inline event handler", async () => {
    const call = api(server.url, await data.apiKey("sec-crawl", "owner"));
    const company = (
      await call("POST", "/t/sec-crawl/companies", { name: "Crawl Co", domain: "crawl.example" })
    ).json;
    const contact = (
      await call("POST", "/t/sec-crawl/contacts", {
        firstName: "Cora",
        lastName: "Crawl",
        email: "cora@crawl.example",
        companyId: company.id,
        tags: ["crawled"],
      })
    ).json;
    const deal = (
      await call("POST", "/t/sec-crawl/deals", {
        title: "Crawl deal",
        amountCents: 12_300,
        contactIds: [contact.id],
      })
    ).json;
    for (const [path, body] of [
      ["/t/sec-crawl/tasks", { title: "Crawl task", contactId: contact.id }],
      ["/t/sec-crawl/notes", { subjectType: "deal", subjectId: deal.id, body: "Crawl note" }],
      ["/t/sec-crawl/notes", { subjectType: "contact", subjectId: contact.id, body: "Crawl note" }],
      [
        "/t/sec-crawl/custom-fields",
        { entity: "contact", key: "crawl_field", label: "Crawl field", type: "text" },
      ],
    ] as const)
      expect([path, (await call("POST", path, body)).status]).toEqual([path, 201]);

    const visitors = {
      owner: await signIn(server.url, "sec-crawl", "owner@crawl.test"),
      viewer: await signIn(server.url, "sec-crawl", "viewer@crawl.test"),
      nobody: new BrowserClient(server.url),
    };
    const starts: [keyof typeof visitors, string][] = [
      ["owner", "/t/sec-crawl/contacts"],
      // Lists showing only some columns carry a <style> for the hidden ones.
      ["owner", "/t/sec-crawl/contacts?cols=name,email"],
      ["owner", "/t/sec-crawl/companies?cols=name"],
      ["owner", "/t/sec-crawl/deals?cols=name"],
      ["owner", `/t/sec-crawl/contacts/${contact.id + 999_999}`],
      ["owner", "/t/sec-crawl/search?q=crawl"],
      ["viewer", "/t/sec-crawl/contacts"],
      ["nobody", "/"],
      ["nobody", "/signup"],
      ["nobody", "/t/sec-crawl/login"],
      ["nobody", "/t/no-such-workspace/login"],
    ];
    const queue: { who: keyof typeof visitors; path: string; htmx: boolean }[] = starts.map(
      ([who, path]) => ({
        who,
        path,
        htmx: false,
      }),
    );
    const perShape = new Map<string, number>();
    const read: string[] = [];
    const problems: string[] = [];
    let styles = 0;
    let pagesWithLayout = 0;
    const MAX_READS = 600;
    while (queue.length && read.length < MAX_READS) {
      const { who, path, htmx } = queue.shift() as (typeof queue)[number];
      const key = `${who} ${htmx ? "htmx" : "page"} ${shapeOf(path)}`;
      const seen = perShape.get(key) ?? 0;
      if (seen >= 2) continue;
      perShape.set(key, seen + 1);
      const client = visitors[who];
      const response = await client.get(path, htmx ? { "hx-request": "true" } : {});
      const location = response.headers.get("location");
      if (location?.startsWith("/")) queue.push({ who, path: location, htmx: false });
      if (!(response.headers.get("content-type") ?? "").startsWith("text/html")) continue;
      read.push(`${who} ${htmx ? "htmx " : ""}${path} ${response.status}`);
      const csp = response.headers.get("content-security-policy") ?? "";
      const nonce = /'nonce-([^']+)'/.exec(csp)?.[1] ?? "(no nonce in the CSP)";
      const found = inlineCode(response.text);
      const where = `${who} ${htmx ? "htmx " : ""}GET ${path}`;
      if (found.rawOpenings !== found.code.length)
        problems.push(`${where}: ${found.rawOpenings} <script/<style openings, ${found.code.length} parsed`);
      for (const code of found.code)
        if (code.nonce !== nonce) problems.push(`${where}: <${code.tag}> nonce "${code.nonce}"`);
      for (const attribute of found.inline) problems.push(`${where}: ${attribute}`);
      styles += found.code.filter((c) => c.tag === "style").length;
      if (response.text.includes("<html")) {
        pagesWithLayout++;
        if (found.code.filter((c) => c.tag === "script").length !== 3)
          problems.push(`${where}: not the layout's 3 scripts`);
      }
      const next = [
        ...found.links.map((link) => ({ link, htmx: false })),
        ...found.fragments.map((link) => ({ link, htmx: true })),
        // GET forms (search, filters) as submitted untouched, as a page and as htmx would.
        ...parseForms(response.text)
          .filter((form) => form.method === "get")
          .flatMap((form) => {
            const target = new URL(form.action || path, `${server.url}${path}`);
            target.search = new URLSearchParams(formEntries(form)).toString();
            const link = target.pathname + target.search;
            return [
              { link, htmx: false },
              { link, htmx: true },
            ];
          }),
      ];
      for (const { link, htmx: asHtmx } of next) {
        if (!link.startsWith("/") || link.startsWith("//") || link.startsWith("/assets/")) continue;
        // Downloads are files, not pages.
        if (/\/workspace\.(sqlite|zip)|\/export\b/.test(link)) continue;
        queue.push({ who, path: link, htmx: asHtmx });
      }
    }
    expect(problems).toEqual([]);
    // The crawl ran to its end and reached every part of the app, as each kind of visitor.
    expect(queue).toEqual([]);
    for (const part of [
      "owner /t/sec-crawl/contacts 200",
      `owner /t/sec-crawl/contacts/${contact.id} 200`,
      `owner /t/sec-crawl/contacts/${contact.id}/edit 200`,
      "owner /t/sec-crawl/companies 200",
      `owner /t/sec-crawl/companies/${company.id} 200`,
      "owner /t/sec-crawl/deals/board 200",
      `owner /t/sec-crawl/deals/${deal.id} 200`,
      "owner /t/sec-crawl/tasks 200",
      "owner /t/sec-crawl/settings/users 200",
      "owner /t/sec-crawl/settings/pipelines 200",
      "owner /t/sec-crawl/settings/fields 200",
      `owner /t/sec-crawl/contacts/${contact.id + 999_999} 404`,
      "viewer /t/sec-crawl/deals/board 200",
      "nobody /t/sec-crawl/login 200",
    ])
      expect(read).toContain(part);
    for (const part of ["/deals?", "/audit", "/privacy", "/search?", "/merge", "/erasure"])
      expect([part, read.some((r) => r.includes(part))]).toEqual([part, true]);
    expect(read.filter((r) => r.includes(" htmx ")).length).toBeGreaterThan(10);
    expect(read.length).toBeGreaterThan(60);
    expect(pagesWithLayout).toBeGreaterThan(40);
    expect(styles).toBeGreaterThanOrEqual(3);
  }, 120_000);

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

  it("refuses an htmx write (HX-Request: true) with no token, a wrong one or another session's, with 403 and nothing written; the same write with the page's token goes through", async () => {
    const client = await signIn(server.url, "sec", "owner@sec.test");
    const other = await signIn(server.url, "sec", "owner@sec.test");
    const call = api(server.url, await data.apiKey("sec"));
    const contact = (await call("POST", "/t/sec/contacts", { firstName: "Htmx", lastName: "Target" })).json;
    const deal = (await call("POST", "/t/sec/deals", { title: "Htmx deal" })).json;
    const stages = (await call("GET", `/t/sec/pipelines/${deal.pipelineId}`)).json.stages as {
      id: number;
    }[];
    const otherStage = stages.find((st) => st.id !== deal.stageId)?.id as number;
    expect([contact.id, deal.id, otherStage].every((id) => Number.isSafeInteger(id) && id > 0)).toBe(true);
    /** Everything a write would change: the commit counter every write transaction bumps, and the rows. */
    const state = () =>
      data.shards.use(data.get("sec"), (s) => ({
        commits: (s.statement("SELECT change_counter AS n FROM shard_state").get() as { n: number }).n,
        contacts: (s.statement("SELECT count(*) AS n FROM contacts").get() as { n: number }).n,
        notes: (s.statement("SELECT count(*) AS n FROM notes").get() as { n: number }).n,
        dealStage: (
          s.statement("SELECT stage_id AS id FROM deals WHERE id = ?").get(deal.id) as { id: number }
        ).id,
      }));
    /** Each write with the status it gets when it carries the page's token. */
    const writes: [string, string, Record<string, string>, number][] = [
      ["POST", "/t/sec/contacts", { firstName: "Htmx", lastName: "Forged" }, 303],
      [
        "POST",
        "/t/sec/notes",
        { subjectType: "contact", subjectId: String(contact.id), body: "forged" },
        201,
      ],
      ["POST", `/t/sec/deals/${deal.id}/stage`, { stageId: String(otherStage) }, 200],
      ["POST", `/t/sec/contacts/${contact.id}/delete`, {}, 200],
    ];
    const before = await state();
    const refused: unknown[] = [];
    for (const [method, path, fields] of writes) {
      const htmxHeaders = { "hx-request": "true", "content-type": "application/x-www-form-urlencoded" };
      for (const [how, headers, body] of [
        ["no token", htmxHeaders, fields],
        ["wrong header", { ...htmxHeaders, "x-csrf-token": "wrong" }, fields],
        ["other session's header", { ...htmxHeaders, "x-csrf-token": other.csrfToken }, fields],
        ["wrong field", htmxHeaders, { ...fields, _csrf: "wrong" }],
        ["empty header", { ...htmxHeaders, "x-csrf-token": "" }, fields],
      ] as const) {
        const response = await client.request(method, path, { headers, body: new URLSearchParams(body) });
        refused.push([path, how, response.status]);
      }
    }
    expect(refused).toHaveLength(writes.length * 5);
    expect(refused).toEqual(refused.map((r) => [...(r as unknown[]).slice(0, 2), 403]));
    expect(await state()).toEqual(before);
    // The same requests with the page's token are accepted, so the refusals above were about the token.
    const accepted: unknown[] = [];
    for (const [method, path, fields] of writes)
      accepted.push([path, (await client.htmx(method, path, fields)).status]);
    expect(accepted).toEqual(writes.map(([, path, , status]) => [path, status]));
    const after = await state();
    expect(after.commits).toBe(before.commits + writes.length);
    expect(after.dealStage).toBe(otherStage);
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
