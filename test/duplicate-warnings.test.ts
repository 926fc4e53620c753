import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Browser, BrowserContext } from "playwright-core";
import { findDuplicateContact } from "../src/contacts/find-duplicate-contact.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { launchBrowser, signInOnPage } from "./support/browser.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { decodeEntities } from "./support/html-forms.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { keepScreenshot, VIEWPORTS } from "./support/viewports.ts";
import { api, DataDir, PASSWORD, signIn } from "./support/workspace.ts";

/**
 * Issue 11, item 4: a page form that would create a contact with an existing email (in any
 * letter case, with spaces around it) or a company with an existing domain (any scheme, www.,
 * path or case), or edit a record into one, writes nothing and comes back with what was typed,
 * a link to the existing record and a "Create anyway" / "Save anyway" button that writes it.
 * Without JavaScript (a form post and its redirect) and with htmx (quick add, inline edit). The
 * JSON API is unchanged. Another workspace's records are never found. On 100,000 contacts the
 * lookup is one index seek.
 */
const T = "dupes";
const OWNER = `owner@${T}.test`;
const dir = tempDir("crm-dupes-");
let data: DataDir;
let server: TestServer;
let browser: Browser;
let owner: BrowserClient;
let call: ReturnType<typeof api>;
let adaId = 0;
let graceId = 0;
let acmeId = 0;

const useShard = <X>(slug: string, fn: (shard: Shard) => X): Promise<X> =>
  data.shards.use(data.get(slug), fn);
const contactsWithEmail = (email: string) =>
  useShard(
    T,
    (s) => (s.statement("SELECT count(*) AS n FROM contacts WHERE email = ?").get(email) as { n: number }).n,
  );
const companiesWithDomain = (domain: string) =>
  useShard(
    T,
    (s) =>
      (s.statement("SELECT count(*) AS n FROM companies WHERE domain = ?").get(domain) as { n: number }).n,
  );

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(T, OWNER);
  await data.tenant("elsewhere");
  [server, browser] = await Promise.all([startServer({ dataDir: dir.path }), launchBrowser()]);
  call = api(server.url, await data.apiKey(T, "owner"));
  adaId = (
    await call("POST", `/t/${T}/contacts`, {
      firstName: "Ada",
      lastName: "Lovelace",
      email: "ada@dupes.test",
    })
  ).json.id;
  graceId = (
    await call("POST", `/t/${T}/contacts`, {
      firstName: "Grace",
      lastName: "Hopper",
      email: "grace@dupes.test",
    })
  ).json.id;
  acmeId = (await call("POST", `/t/${T}/companies`, { name: "Acme Tools", domain: "acme.com" })).json.id;
  owner = await signIn(server.url, T, OWNER, PASSWORD);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  data?.close();
  dir.remove();
});

/** The warning's sentence, link and button as a page shows them (decoded, whitespace-normalised). */
function warningOf(html: string): { text: string; href: string; button: string } | null {
  const block = /<div class="duplicate-warning" role="alert">([\s\S]*?)<\/div>/.exec(html)?.[1];
  if (!block) return null;
  return {
    text: decodeEntities(block.replace(/<button[\s\S]*<\/button>/, "").replace(/<[^>]+>/g, "")).trim(),
    href: /<a href="([^"]+)"/.exec(block)?.[1] ?? "",
    button: decodeEntities(
      /<button type="submit" name="anyway" value="1">([^<]*)<\/button>/.exec(block)?.[1] ?? "",
    ),
  };
}

describe("contacts", () => {
  it("warns of an email in another letter case and with spaces, keeps the form, writes nothing (no JavaScript)", async () => {
    await owner.get(`/t/${T}/contacts/new`);
    const refused = await owner.post(`/t/${T}/contacts`, {
      firstName: "Augusta",
      lastName: "King",
      email: "  ADA@Dupes.TEST ",
      title: "Countess",
    });
    expect(refused.status).toBe(422);
    expect(warningOf(refused.text)).toEqual({
      text: "A contact with this email already exists: Ada Lovelace",
      href: `/t/${T}/contacts/${adaId}`,
      button: "Create anyway",
    });
    expect(refused.text).toContain('value="Augusta"');
    expect(refused.text).toContain('value="Countess"');
    expect(refused.text).toContain('value="  ADA@Dupes.TEST "');
    expect(await contactsWithEmail("ada@dupes.test")).toBe(1);

    // The link leads to the existing record.
    const existing = await owner.get(warningOf(refused.text)?.href ?? "");
    expect(existing.status).toBe(200);
    expect(existing.text).toContain("Ada Lovelace");
  });

  it("creates it anyway when the form says so, and redirects to the new record", async () => {
    const made = await owner.post(`/t/${T}/contacts`, {
      firstName: "Augusta",
      lastName: "King",
      email: "  ADA@Dupes.TEST ",
      anyway: "1",
    });
    expect(made.status).toBe(303);
    expect(made.headers.get("location")).toMatch(new RegExp(`^/t/${T}/contacts/\\d+$`));
    expect(await contactsWithEmail("ada@dupes.test")).toBe(2);
  });

  it("warns in the htmx quick add: the form comes back in place with its values, then Create anyway adds the row", async () => {
    await owner.get(`/t/${T}/contacts`);
    const fields = { _fragment: "row", firstName: "Charles", lastName: "Babbage", email: "Grace@DUPES.test" };
    const refused = await owner.htmx("POST", `/t/${T}/contacts`, fields);
    expect(refused.status).toBe(422);
    expect(refused.headers.get("hx-retarget")).toBe("#new-contact");
    expect(refused.text).toStartWith('<form id="new-contact"');
    expect(refused.text).toContain('value="Charles"');
    expect(warningOf(refused.text)?.href).toBe(`/t/${T}/contacts/${graceId}`);
    expect(warningOf(refused.text)?.text).toBe("A contact with this email already exists: Grace Hopper");
    expect(await contactsWithEmail("grace@dupes.test")).toBe(1);

    const made = await owner.htmx("POST", `/t/${T}/contacts`, { ...fields, anyway: "1" });
    expect(made.status).toBe(201);
    expect(made.text).toContain("Charles Babbage");
    expect(await contactsWithEmail("grace@dupes.test")).toBe(2);
  });

  it("warns when an edit changes the email into another contact's, and saves it only with Save anyway", async () => {
    const linus = (await call("POST", `/t/${T}/contacts`, { firstName: "Linus", email: "linus@dupes.test" }))
      .json.id;
    await owner.get(`/t/${T}/contacts/${linus}/edit`);
    const edit = { firstName: "Linus", lastName: "", email: "Ada@Dupes.Test" };
    const refused = await owner.post(`/t/${T}/contacts/${linus}`, edit);
    expect(refused.status).toBe(422);
    expect(warningOf(refused.text)?.button).toBe("Save anyway");
    expect(warningOf(refused.text)?.href).toBe(`/t/${T}/contacts/${adaId}`);
    expect((await call("GET", `/t/${T}/contacts/${linus}`)).json.email).toBe("linus@dupes.test");

    // Inline (htmx) edit: the row's form comes back with the warning.
    const inline = await owner.htmx("POST", `/t/${T}/contacts/${linus}`, { ...edit, _fragment: "row" });
    expect(inline.status).toBe(422);
    expect(inline.text).toStartWith(`<tr id="contact-${linus}" class="editing">`);
    expect(warningOf(inline.text)?.button).toBe("Save anyway");
    expect((await call("GET", `/t/${T}/contacts/${linus}`)).json.email).toBe("linus@dupes.test");

    const saved = await owner.post(`/t/${T}/contacts/${linus}`, { ...edit, anyway: "1" });
    expect(saved.status).toBe(303);
    expect((await call("GET", `/t/${T}/contacts/${linus}`)).json.email).toBe("ada@dupes.test");

    // Already sharing the email, saving another change is not a new duplicate: no warning.
    const again = await owner.post(`/t/${T}/contacts/${linus}`, { ...edit, title: "Kernel" });
    expect(again.status).toBe(303);
  });

  it("leaves the JSON API as it was: a contact with an existing email is created (upsert is issue 12)", async () => {
    const made = await call("POST", `/t/${T}/contacts`, { firstName: "Ada", email: "ADA@dupes.test" });
    expect(made.status).toBe(201);
  });

  it("never finds another workspace's contact", async () => {
    const other = api(server.url, await data.apiKey("elsewhere", "owner"));
    expect(
      (await other("POST", "/t/elsewhere/contacts", { firstName: "Solo", email: "solo@dupes.test" })).status,
    ).toBe(201);
    await owner.get(`/t/${T}/contacts/new`);
    const made = await owner.post(`/t/${T}/contacts`, { firstName: "Solo", email: "solo@dupes.test" });
    expect(made.status).toBe(303);
    expect(warningOf(made.text)).toBeNull();
  });
});

describe("companies", () => {
  it("warns of the same domain written with a scheme, www., a path or capitals", async () => {
    await owner.get(`/t/${T}/companies/new`);
    for (const domain of ["https://www.ACME.com/about", "acme.com/", "WWW.Acme.Com", "http://acme.com?x=1"]) {
      const refused = await owner.post(`/t/${T}/companies`, { name: "Acme Again", domain });
      expect(refused.status).toBe(422);
      expect(warningOf(refused.text)).toEqual({
        text: "A company with this domain already exists: Acme Tools",
        href: `/t/${T}/companies/${acmeId}`,
        button: "Create anyway",
      });
      expect(refused.text).toContain('value="Acme Again"');
    }
    expect(await companiesWithDomain("acme.com")).toBe(1);

    // A different domain is no duplicate; the quick add warns too, and goes on anyway.
    const quick = { _fragment: "row", name: "Acme Again", domain: "https://Acme.com" };
    const refused = await owner.htmx("POST", `/t/${T}/companies`, quick);
    expect(refused.status).toBe(422);
    expect(warningOf(refused.text)?.href).toBe(`/t/${T}/companies/${acmeId}`);
    const made = await owner.htmx("POST", `/t/${T}/companies`, { ...quick, anyway: "1" });
    expect(made.status).toBe(201);
    expect(await companiesWithDomain("acme.com")).toBe(2);
    expect((await owner.post(`/t/${T}/companies`, { name: "Other", domain: "acme.co.uk" })).status).toBe(303);
  });

  it("warns when an edit changes the domain into another company's", async () => {
    const globex = (await call("POST", `/t/${T}/companies`, { name: "Globex", domain: "globex.com" })).json
      .id;
    await owner.get(`/t/${T}/companies/${globex}/edit`);
    const refused = await owner.post(`/t/${T}/companies/${globex}`, {
      name: "Globex",
      domain: "www.acme.com",
    });
    expect(refused.status).toBe(422);
    expect(warningOf(refused.text)?.button).toBe("Save anyway");
    expect((await call("GET", `/t/${T}/companies/${globex}`)).json.domain).toBe("globex.com");
  });
});

describe("on 100,000 contacts", () => {
  it("finds a duplicate through contacts_email_idx in microseconds, and the page answers fast", async () => {
    const BIG = "dupes-big";
    await data.tenant(BIG, `owner@${BIG}.test`);
    const stats = await useShard(BIG, (shard) => {
      shard.transaction(() => {
        const insert = shard.statement(
          "INSERT INTO contacts (first_name, last_name, email, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        );
        for (let i = 0; i < 100_000; i++) insert.run(`P${i}`, "Big", `person${i}@big.test`, i, i);
      });
      const plan = (
        shard
          .statement(
            "EXPLAIN QUERY PLAN SELECT id FROM contacts WHERE email = ? AND id <> ? ORDER BY id LIMIT 1",
          )
          .all("x", 0) as { detail: string }[]
      )
        .map((r) => r.detail)
        .join("; ");
      const times: number[] = [];
      for (let i = 0; i < 2_000; i++) {
        const started = performance.now();
        findDuplicateContact(shard, ` PERSON${(i * 37) % 100_000}@BIG.test`, null);
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      return { plan, median: times[1000] ?? 0, p99: times[1980] ?? 0 };
    });
    console.log(
      `duplicate lookup on 100,000 contacts: median ${(stats.median * 1000).toFixed(1)} µs, p99 ${(stats.p99 * 1000).toFixed(1)} µs; plan: ${stats.plan}`,
    );
    expect(stats.plan).toContain("contacts_email_idx");
    // Domains have their own index since migration 0016: the same one seek, never a scan.
    const companyPlan = await useShard(BIG, (shard) =>
      (
        shard
          .statement(
            "EXPLAIN QUERY PLAN SELECT id, name FROM companies WHERE domain = ? AND id <> ? ORDER BY id LIMIT 1",
          )
          .all("acme.com", 0) as { detail: string }[]
      )
        .map((r) => r.detail)
        .join("; "),
    );
    expect(companyPlan).toContain("companies_domain_idx (domain=?)");
    expect(stats.plan).not.toContain("SCAN contacts");
    expect(stats.median).toBeLessThan(1);

    const bigOwner = await signIn(server.url, BIG, `owner@${BIG}.test`, PASSWORD);
    await bigOwner.get(`/t/${BIG}/contacts/new`);
    const started = performance.now();
    const refused = await bigOwner.post(`/t/${BIG}/contacts`, {
      firstName: "X",
      email: "Person99999@big.test",
    });
    const ms = performance.now() - started;
    console.log(`the refused form on 100,000 contacts answered in ${ms.toFixed(1)} ms`);
    expect(refused.status).toBe(422);
    expect(warningOf(refused.text)?.text).toBe("A contact with this email already exists: P99999 Big");
  }, 30_000);
});

describe("in a browser", () => {
  for (const viewport of VIEWPORTS) {
    it(`writes one copy when Create anyway is double-clicked, on the full page and in the quick add (${viewport.name})`, async () => {
      const context: BrowserContext = await browser.newContext({
        viewport: { width: viewport.width, height: viewport.height },
      });
      context.setDefaultTimeout(20_000);
      try {
        const page = await context.newPage();
        await signInOnPage(page, server.url, `/t/${T}`, OWNER, PASSWORD);
        const before = await contactsWithEmail("grace@dupes.test");

        // The full page (a plain post): the warning, then Create anyway double-clicked.
        await page.goto(`${server.url}/t/${T}/contacts/new`);
        await page.fill("#contact-firstName", `Twice${viewport.name}`);
        await page.fill("#contact-email", "grace@dupes.test");
        await page.click("main form button[type=submit]:not([name])");
        const anyway = page.locator("main .duplicate-warning button", { hasText: "Create anyway" });
        await anyway.waitFor();
        await Promise.all([page.waitForURL(/\/contacts\/\d+$/), anyway.dblclick()]);
        await page.waitForLoadState("load");
        await keepScreenshot(page, `double-submit-created-${viewport.name}`);
        expect(await contactsWithEmail("grace@dupes.test")).toBe(before + 1);

        // The quick add (htmx): its buttons are disabled while the request is in flight.
        await page.goto(`${server.url}/t/${T}/contacts`);
        await page.click("details.quick-add-toggle > summary");
        await page.fill("#new-contact-firstName", `Quick${viewport.name}`);
        await page.fill("#new-contact-email", "grace@dupes.test");
        await page.click("#new-contact button[type=submit]:not([name])");
        const quick = page.locator("#new-contact .duplicate-warning button", { hasText: "Create anyway" });
        await quick.waitFor();
        await quick.dblclick();
        await page.locator(`#contact-rows tr:has-text("Quick${viewport.name}")`).first().waitFor();
        await page.waitForTimeout(300);
        expect(await contactsWithEmail("grace@dupes.test")).toBe(before + 2);
      } finally {
        await context.close();
      }
    }, 30_000);

    it(`shows the quick add's warning with the link and creates anyway (${viewport.name}, ${viewport.width}×${viewport.height})`, async () => {
      const context: BrowserContext = await browser.newContext({
        viewport: { width: viewport.width, height: viewport.height },
      });
      context.setDefaultTimeout(20_000);
      try {
        const page = await context.newPage();
        await signInOnPage(page, server.url, `/t/${T}`, OWNER, PASSWORD);

        const first = `Browser${viewport.name}`;
        // Quick add sits behind the list's "New contact" disclosure.
        await page.click("details.quick-add-toggle > summary");
        await page.fill("#new-contact-firstName", first);
        await page.fill("#new-contact-email", " GRACE@dupes.test");
        await page.click("#new-contact button[type=submit]:not([name])");
        const warning = page.locator("#new-contact .duplicate-warning");
        await warning.waitFor();
        expect(await warning.locator("p").textContent()).toBe(
          "A contact with this email already exists: Grace Hopper",
        );
        expect(await warning.locator("a").getAttribute("href")).toBe(`/t/${T}/contacts/${graceId}`);
        expect(await page.inputValue("#new-contact-firstName")).toBe(first);
        const box = await warning.boundingBox();
        expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(viewport.width);
        await warning.scrollIntoViewIfNeeded();
        await keepScreenshot(page, `duplicate-warning-quick-add-${viewport.name}`);
        expect(await page.locator(`#contact-rows tr:has-text("${first}")`).count()).toBe(0);

        await warning.locator("button", { hasText: "Create anyway" }).click();
        await page.locator(`#contact-rows tr:has-text("${first}")`).first().waitFor();
        expect(await page.locator("#new-contact .duplicate-warning").count()).toBe(0);
        expect(await page.inputValue("#new-contact-firstName")).toBe("");
        await keepScreenshot(page, `duplicate-warning-created-anyway-${viewport.name}`);
      } finally {
        await context.close();
      }
    }, 30_000);
  }
});
