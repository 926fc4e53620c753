import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Browser, BrowserContext, Page, Request } from "playwright-core";
import { launchBrowser } from "./support/browser.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, PASSWORD, signIn } from "./support/workspace.ts";

/**
 * Hostile trial of 98a7dfb (lighter list pages and board): the delegated row Edit/Delete in
 * app.js, the one-form filters, the board's shared "Move to…" dialog and the no-JS move page.
 * Two workspaces, an owner and a read-only user, one server and one Chromium.
 */

const A = "lite-a";
const B = "lite-b";
const TA = `/t/${A}`;
const TB = `/t/${B}`;
const OWNER = `owner@${A}.test`;
const READER = `reader@${A}.test`;
const HOSTILE = `<img src=x onerror="window.__pwned=1">"'&amp; שלום עולם ${"long ".repeat(24)}end`;

let server: TestServer;
let browser: Browser;
let data: DataDir;
let callA: ReturnType<typeof api>;
let callB: ReturnType<typeof api>;
const dir = tempDir();

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(A, OWNER);
  await data.tenant(B);
  await data.user(A, READER, "read-only");
  [server, browser] = await Promise.all([startServer({ dataDir: dir.path }), launchBrowser()]);
  callA = api(server.url, await data.apiKey(A, "owner"));
  callB = api(server.url, await data.apiKey(B, "owner"));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  data?.close();
  dir.remove();
});

async function deal(call: ReturnType<typeof api>, slug: string, title: string, extra: object = {}) {
  const r = await call("POST", `/t/${slug}/deals`, { title, ...extra });
  expect(r.status).toBe(201);
  return r.json as { id: number; stageId: number; pipelineId: number; title: string };
}

async function stageOf(call: ReturnType<typeof api>, slug: string, id: number) {
  return (await call("GET", `/t/${slug}/deals/${id}`)).json?.stageId as number | undefined;
}

/** A fresh context signed in through the real login page, collecting console errors. */
async function browse(
  email: string,
  options: { javaScriptEnabled?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page; problems: string[]; requests: Request[] }> {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const problems: string[] = [];
  const requests: Request[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("request", (r) => requests.push(r));
  await page.goto(`${server.url}${TA}/login`);
  await page.fill("#login-email", email);
  await page.fill("#login-password", PASSWORD);
  await Promise.all([page.waitForURL(`**${TA}/contacts`), page.click("main button[type=submit]")]);
  return { context, page, problems, requests };
}

async function markPage(page: Page) {
  await page.waitForFunction(() => "htmx" in window);
  await page.evaluate(() => {
    (window as unknown as { __noReload: boolean }).__noReload = true;
  });
}
const stillSamePage = (page: Page) =>
  page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload === true);

const writes = (requests: Request[], from = 0) =>
  requests
    .slice(from)
    .filter((r) => r.method() !== "GET")
    .map((r) => `${r.method()} ${new URL(r.url()).pathname}`);

describe("the move page and the stage route, over HTTP", () => {
  it("another workspace's deal, odd ids and a deleted deal: 404 or refusal, never the other's data", async () => {
    // B gets more deals than A, so B's highest id does not exist in A.
    for (let i = 0; i < 6; i++) await deal(callB, B, `b-secret-${i}`);
    const bDeal = await deal(callB, B, "B-ONLY-SECRET-DEAL");
    const aDeal = await deal(callA, A, "a-visible");
    const gone = await deal(callA, A, "a-gone");
    expect((await callA("DELETE", `${TA}/deals/${gone.id}`)).status).toBeLessThan(300);

    const owner = await signIn(server.url, A, OWNER);
    const own = await owner.get(`${TA}/deals/${aDeal.id}/stage`);
    expect(own.status).toBe(200);
    expect(own.text).toContain("a-visible");

    const probes = [
      `${TB}/deals/${bDeal.id}/stage`,
      `${TA}/deals/${bDeal.id}/stage`,
      `${TA}/deals/${gone.id}/stage`,
      `${TA}/deals/abc/stage`,
      `${TA}/deals/0/stage`,
      `${TA}/deals/-1/stage`,
      `${TA}/deals/0x1/stage`,
      `${TA}/deals/1e0/stage`,
      `${TA}/deals/99999999999999999999999/stage`,
      `${TA}/deals/9007199254740993/stage`,
      `${TA}/deals/${aDeal.id}%2F..%2F${bDeal.id}/stage`,
    ];
    const seen: Record<string, { status: number; leak: boolean }> = {};
    for (const path of probes) {
      const r = await owner.get(path);
      seen[path] = {
        status: r.status,
        leak: r.text.includes("B-ONLY-SECRET") || r.text.includes("b-secret"),
      };
    }
    for (const [path, r] of Object.entries(seen)) {
      expect({ path, leak: r.leak }).toEqual({ path, leak: false });
      expect({ path, ok: r.status >= 300 }).toEqual({ path, ok: true });
    }
    expect(seen[`${TA}/deals/abc/stage`]?.status).toBe(404);
    expect(seen[`${TA}/deals/${gone.id}/stage`]?.status).toBe(404);

    // Posting a move at B's deal from A's session: refused, B's deal where it was.
    const before = await stageOf(callB, B, bDeal.id);
    const stages = (await callB("GET", `${TB}/pipelines/${bDeal.pipelineId}`)).json?.stages as
      | { id: number }[]
      | undefined;
    const other = stages?.find((s) => s.id !== before)?.id ?? (before ?? 0) + 1;
    const cross = await owner.post(`${TB}/deals/${bDeal.id}/stage`, {
      stageId: String(other),
      _fragment: "board",
    });
    expect(cross.status).toBeGreaterThanOrEqual(300);
    expect(await stageOf(callB, B, bDeal.id)).toBe(before);
  }, 30_000);

  it("a read-only user: no move link or dialog on the board, and a posted move is refused with nothing written", async () => {
    const d = await deal(callA, A, "reader-target");
    const reader = await signIn(server.url, A, READER);
    const board = await reader.get(`${TA}/deals/board`);
    expect(board.status).toBe(200);
    expect(board.text).toContain("reader-target");
    expect(board.text).not.toContain('id="move-dialog"');
    expect(board.text).not.toContain("/stage");
    expect(board.text).not.toContain('draggable="true"');
    const list = await reader.get(`${TA}/deals`);
    expect(list.text).not.toMatch(/\/deals\/\d+\/(edit|delete)/);

    const pageForReader = await reader.get(`${TA}/deals/${d.id}/stage`);
    // Whatever the page shows a reader, a move from it is refused.
    const stages = [...pageForReader.text.matchAll(/name="stageId" value="(\d+)"/g)].map((m) => m[1] ?? "");
    const target = stages[0] ?? String(d.stageId + 1);
    const posted = await reader.post(`${TA}/deals/${d.id}/stage`, { stageId: target, _fragment: "board" });
    expect(posted.status).toBe(403);
    const htmx = await reader.post(
      `${TA}/deals/${d.id}/stage`,
      { stageId: target },
      { "hx-request": "true" },
    );
    expect(htmx.status).toBe(403);
    expect(await stageOf(callA, A, d.id)).toBe(d.stageId);
  }, 30_000);

  it("a read-only user is refused the pages that only lead to a write: a deal's move page, and every kind's new, edit and delete pages (403, no form)", async () => {
    const d = await deal(callA, A, "reader-move-page");
    const reader = await signIn(server.url, A, READER);
    const contact = (await callA("POST", `${TA}/contacts`, { firstName: "Reader", lastName: "Probe" })).json
      .id;
    const paths = [
      `${TA}/deals/${d.id}/stage`,
      `${TA}/deals/new`,
      `${TA}/deals/${d.id}/edit`,
      `${TA}/deals/${d.id}/delete`,
      `${TA}/contacts/new`,
      `${TA}/contacts/${contact}/edit`,
      `${TA}/contacts/${contact}/delete`,
      `${TA}/companies/new`,
    ];
    for (const path of paths) {
      const r = await reader.get(path);
      expect({ path, status: r.status, form: r.text.includes('method="post"') }).toEqual({
        path,
        status: 403,
        form: false,
      });
    }
  });

  it("hostile titles are escaped on the move page (heading and <title>) and in the card's hidden text; the page offers only the deal's other stages", async () => {
    const d = await deal(callA, A, HOSTILE);
    const owner = await signIn(server.url, A, OWNER);
    const r = await owner.get(`${TA}/deals/${d.id}/stage`);
    expect(r.status).toBe(200);
    expect(r.text).not.toContain("<img src=x");
    expect(r.text).toContain("&lt;img src=x onerror=");
    expect(r.text).toContain("&amp;amp;");
    const title = /<title>([^<]*)<\/title>/.exec(r.text)?.[1] ?? "";
    expect(title).toContain("&lt;img");
    const h1 = /<h1>([^<]*)<\/h1>/.exec(r.text)?.[1] ?? "";
    expect(h1).toContain("שלום עולם");
    const offered = [...r.text.matchAll(/name="stageId" value="(\d+)"/g)].map((m) => Number(m[1]));
    const pipeline = (await callA("GET", `${TA}/pipelines/${d.pipelineId}`)).json;
    const all = ((pipeline?.stages ?? []) as { id: number }[]).map((s) => s.id);
    if (all.length) expect(offered).toEqual(all.filter((id) => id !== d.stageId));
    else expect(offered).not.toContain(d.stageId);
    expect(r.text).toContain(`action="${TA}/deals/${d.id}/stage"`);

    const board = await owner.get(`${TA}/deals/board?pipelineId=${d.pipelineId}`);
    expect(board.text).not.toContain("<img src=x");
    const card =
      new RegExp(`<article class="card" id="deal-${d.id}"[\\s\\S]*?</article>`).exec(board.text)?.[0] ?? "";
    expect(card).toContain('<span class="visually-hidden"> &lt;img src=x');

    // A stage from no pipeline of this deal, a garbage stage: refused, nothing moved.
    for (const stageId of ["999999", "abc", "", "-3"]) {
      const bad = await owner.post(`${TA}/deals/${d.id}/stage`, { stageId, _fragment: "board" });
      expect({ stageId, status: bad.status }).toEqual({ stageId, status: 422 });
    }
    expect(await stageOf(callA, A, d.id)).toBe(d.stageId);
  }, 30_000);
});

describe("the board in a real browser", () => {
  it("the dialog shows a hostile title literally; Escape posts nothing; a chosen stage moves the card and refocuses its link; a drag still moves", async () => {
    const d = await deal(callA, A, HOSTILE);
    const { context, page, problems, requests } = await browse(OWNER);
    try {
      await page.goto(`${server.url}${TA}/deals/board?pipelineId=${d.pipelineId}`);
      await markPage(page);
      const columns = await page.$$eval("#board [data-stage-id]", (els) =>
        els.map((e) => Number((e as HTMLElement).dataset.stageId)),
      );
      expect(columns[0]).toBe(d.stageId);
      const from = requests.length;

      await page.locator(`#deal-${d.id} a.move`).click();
      const dialog = page.locator("#move-dialog");
      await dialog.waitFor({ state: "visible" });
      expect(await page.locator("#move-dialog .move-deal").textContent()).toBe(`“${HOSTILE}”`);
      expect(await page.locator("#move-dialog img").count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      const visible = await page.$$eval("#move-dialog button[name=stageId]", (bs) =>
        bs.filter((b) => !(b as HTMLButtonElement).hidden).map((b) => Number((b as HTMLButtonElement).value)),
      );
      expect(visible).toEqual(columns.filter((id) => id !== d.stageId));

      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "hidden" });
      await page.waitForTimeout(300);
      expect(writes(requests, from)).toEqual([]);
      expect(await stageOf(callA, A, d.id)).toBe(d.stageId);

      // Choose the second column's stage.
      await page.locator(`#deal-${d.id} a.move`).click();
      await dialog.waitFor({ state: "visible" });
      const [moved] = await Promise.all([
        page.waitForResponse(
          (r) => r.request().method() === "POST" && r.url().endsWith(`/deals/${d.id}/stage`),
        ),
        page.locator(`#move-dialog button[name=stageId][value="${columns[1]}"]`).click(),
      ]);
      expect(moved.status()).toBe(200);
      await page.locator(`[data-stage-id="${columns[1]}"] #deal-${d.id}`).waitFor();
      await page.waitForFunction(
        (id) => document.activeElement === document.querySelector(`#deal-${id} a.move`),
        d.id,
      );
      expect(await stageOf(callA, A, d.id)).toBe(columns[1]);

      // A drag to the third column, on the swapped-in board.
      await Promise.all([
        page.waitForResponse(
          (r) => r.request().method() === "POST" && r.url().endsWith(`/deals/${d.id}/stage`),
        ),
        page.dragAndDrop(`#deal-${d.id}`, `[data-stage-id="${columns[2]}"]`),
      ]);
      await page.locator(`[data-stage-id="${columns[2]}"] #deal-${d.id}`).waitFor();
      expect(await stageOf(callA, A, d.id)).toBe(columns[2]);
      expect(await stillSamePage(page)).toBe(true);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 45_000);

  it("two moves in quick succession through the dialog: the board and the server agree on the last one", async () => {
    const d = await deal(callA, A, "quick-twice");
    const { context, page, problems } = await browse(OWNER);
    try {
      await page.goto(`${server.url}${TA}/deals/board?pipelineId=${d.pipelineId}`);
      await markPage(page);
      const columns = await page.$$eval("#board [data-stage-id]", (els) =>
        els.map((e) => Number((e as HTMLElement).dataset.stageId)),
      );
      // Second move opened before the first's board has come back.
      await page.locator(`#deal-${d.id} a.move`).click();
      await page.locator(`#move-dialog button[name=stageId][value="${columns[1]}"]`).click();
      await page.locator(`#deal-${d.id} a.move`).click();
      await page.locator(`#move-dialog button[name=stageId][value="${columns[3]}"]`).click();
      await page.waitForLoadState("networkidle");
      await page.waitForTimeout(300);
      const server3 = await stageOf(callA, A, d.id);
      const shown = await page.$eval(`#deal-${d.id}`, (c) =>
        Number((c.closest("[data-stage-id]") as HTMLElement).dataset.stageId),
      );
      const last = columns[3] as number;
      expect({ server: server3, shown }).toEqual({ server: last, shown: last });
      expect(await page.locator("#move-dialog[open]").count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 30_000);

  it("without JavaScript: the card's Move to… opens the move page, a stage moves it and lands back on the board", async () => {
    const d = await deal(callA, A, "no-js-move");
    const { context, page } = await browse(OWNER, { javaScriptEnabled: false });
    try {
      await page.goto(`${server.url}${TA}/deals/board?pipelineId=${d.pipelineId}`);
      expect(await page.locator("#move-dialog").isVisible()).toBe(false);
      const columns = await page.$$eval("#board [data-stage-id]", (els) =>
        els.map((e) => Number((e as HTMLElement).dataset.stageId)),
      );
      await Promise.all([
        page.waitForURL(`**${TA}/deals/${d.id}/stage`),
        page.locator(`#deal-${d.id} a.move`).click(),
      ]);
      expect(await page.locator("h1").textContent()).toBe("Move “no-js-move” to");
      await Promise.all([
        page.waitForURL(`**${TA}/deals/board?pipelineId=${d.pipelineId}`),
        page.locator(`main button[name=stageId][value="${columns[2]}"]`).click(),
      ]);
      expect(await page.locator(`[data-stage-id="${columns[2]}"] #deal-${d.id}`).count()).toBe(1);
      expect(await stageOf(callA, A, d.id)).toBe(columns[2]);
    } finally {
      await context.close();
    }
  }, 30_000);
});

describe("list rows' delegated Edit and Delete in a real browser", () => {
  it("Delete declined sends nothing; accepted removes only that row; ctrl-click on Edit is not upgraded; injected-looking text and foreign links are not upgraded", async () => {
    const made: Record<string, number> = {};
    for (const [first, last] of [
      ["Keep", "One"],
      ["Drop", "Two"],
      ["Keep", "Three"],
      ["/t/x/contacts/1/delete", `<a href="${TA}/contacts/1/delete">x</a>`],
    ] as const) {
      const r = await callA("POST", `${TA}/contacts`, { firstName: first, lastName: last });
      expect(r.status).toBe(201);
      made[`${first} ${last}`] = r.json.id;
    }
    const company = await callA("POST", `${TA}/companies`, { name: "Foreign Co" });
    expect(company.status).toBe(201);
    const withCompany = await callA("POST", `${TA}/contacts`, {
      firstName: "Has",
      lastName: "Company",
      companyId: company.json.id,
    });
    const drop = made["Drop Two"] as number;
    const keep = made["Keep One"] as number;
    const odd = made[`/t/x/contacts/1/delete <a href="${TA}/contacts/1/delete">x</a>`] as number;

    const { context, page, problems, requests } = await browse(OWNER);
    try {
      await page.goto(`${server.url}${TA}/contacts`);
      await markPage(page);
      const rows = async () => (await page.$$eval("#contact-rows tr", (trs) => trs.map((t) => t.id))).sort();
      const before = await rows();
      expect(before).toContain(`contact-${drop}`);
      expect(await page.locator(`#contact-${odd} a[href*="/contacts/1/delete"]`).count()).toBe(0);

      // Declined.
      let from = requests.length;
      page.once("dialog", (dlg) => {
        expect(dlg.message()).toBe("Delete this contact?");
        void dlg.dismiss();
      });
      await page.locator(`#contact-${drop} .row-actions a.danger`).click();
      await page.waitForTimeout(300);
      expect(writes(requests, from)).toEqual([]);
      expect(await rows()).toEqual(before);
      expect(page.url()).toBe(`${server.url}${TA}/contacts`);

      // Accepted.
      from = requests.length;
      page.once("dialog", (dlg) => void dlg.accept());
      await Promise.all([
        page.waitForResponse(
          (r) => r.request().method() === "POST" && r.url().endsWith(`/contacts/${drop}/delete`),
        ),
        page.locator(`#contact-${drop} .row-actions a.danger`).click(),
      ]);
      await page.locator(`#contact-${drop}`).waitFor({ state: "detached" });
      expect(writes(requests, from)).toEqual([`POST ${TA}/contacts/${drop}/delete`]);
      expect(await rows()).toEqual(before.filter((id) => id !== `contact-${drop}`));
      expect((await callA("GET", `${TA}/contacts/${drop}`)).status).toBe(404);
      expect((await callA("GET", `${TA}/contacts/${keep}`)).status).toBe(200);
      expect(await stillSamePage(page)).toBe(true);

      // Ctrl-click on Edit: the browser's own (a new tab), no in-place form.
      from = requests.length;
      const [popup] = await Promise.all([
        context.waitForEvent("page"),
        page
          .locator(`#contact-${keep} .row-actions a`, { hasText: /^Edit/ })
          .click({ modifiers: ["Control"] }),
      ]);
      await popup.waitForLoadState();
      expect(new URL(popup.url()).pathname).toBe(`${TA}/contacts/${keep}/edit`);
      await popup.close();
      expect(requests.slice(from).some((r) => r.url().includes("fragment=row"))).toBe(false);
      expect(await page.locator(`#contact-${keep}.editing`).count()).toBe(0);

      // Links planted in a row's actions cell that are not this list's Edit/Delete: left to the browser.
      const planted = [
        `${TA}/companies/${company.json.id}/delete`,
        `${TA}/contacts/${keep}/delete/extra`,
        `${TA}/contacts/${keep}/merge`,
        `/t/${B}/contacts/${keep}/delete`,
        `http://example.invalid${TA}/contacts/${keep}/delete`,
      ];
      for (const href of planted) {
        from = requests.length;
        const prevented = await page.evaluate(
          ({ id, href }) => {
            const cell = document.querySelector(`#contact-${id} .row-actions`) as HTMLElement;
            const a = document.createElement("a");
            a.href = href;
            a.textContent = "planted";
            cell.append(a);
            let defaultPrevented = false;
            // Runs after app.js's document listener (window is later in the bubble path).
            const spy = (e: Event) => {
              defaultPrevented = e.defaultPrevented;
              e.preventDefault();
            };
            window.addEventListener("click", spy, { once: true });
            a.click();
            a.remove();
            return defaultPrevented;
          },
          { id: keep, href },
        );
        await page.waitForTimeout(100);
        expect({ href, prevented, sent: writes(requests, from) }).toEqual({
          href,
          prevented: false,
          sent: [],
        });
      }
      // The company link in a contact row navigates (it is not in the actions cell, and not a contact).
      await Promise.all([
        page.waitForURL(`**${TA}/companies/${company.json.id}`),
        page.locator(`#contact-${withCompany.json.id} a[href$="/companies/${company.json.id}"]`).click(),
      ]);
      expect(await page.title()).not.toContain("Delete");
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 45_000);

  it("signed out in another tab, then a row's Delete is accepted: the row stays (the contact was not deleted)", async () => {
    const r = await callA("POST", `${TA}/contacts`, { firstName: "Stale", lastName: "Session" });
    const id = r.json.id as number;
    const { context, page } = await browse(OWNER);
    try {
      await page.goto(`${server.url}${TA}/contacts`);
      await markPage(page);
      // Another tab of the same browser signs out.
      const other = await context.newPage();
      await other.goto(`${server.url}${TA}/contacts`);
      const token = (await other.getAttribute('meta[name="csrf-token"]', "content")) ?? "";
      await other.evaluate(
        async ({ url, token }) => {
          await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: `_csrf=${encodeURIComponent(token)}`,
          });
        },
        { url: `${TA}/logout`, token },
      );
      await other.close();
      page.once("dialog", (dlg) => void dlg.accept());
      const [response] = await Promise.all([
        page.waitForResponse(
          (x) => x.request().method() === "POST" && x.url().includes(`/contacts/${id}/delete`),
        ),
        page.locator(`#contact-${id} .row-actions a.danger`).click(),
      ]);
      expect(response.status()).not.toBe(200);
      await page.waitForTimeout(300);
      expect((await callA("GET", `${TA}/contacts/${id}`)).status).toBe(200);
      expect(await page.locator(`#contact-${id}`).count()).toBe(1);
    } finally {
      await context.close();
    }
  }, 30_000);

  it("companies: the delegated Edit swaps the in-place form and saves; deals (no inline edit): Edit navigates to the edit page", async () => {
    const co = await callA("POST", `${TA}/companies`, { name: "Inline Co" });
    const d = await deal(callA, A, "deal-edit-nav");
    const { context, page, problems, requests } = await browse(OWNER);
    try {
      await page.goto(`${server.url}${TA}/companies`);
      await markPage(page);
      const row = page.locator(`#company-${co.json.id}`);
      await row.locator(".row-actions a", { hasText: /^Edit/ }).click();
      const editing = page.locator(`tr.editing:has(input[name=name])`);
      await editing.waitFor();
      await editing.locator("input[name=name]").fill("Inline Co Renamed");
      await Promise.all([
        page.waitForResponse(
          (r) => r.request().method() === "POST" && r.url().endsWith(`/companies/${co.json.id}`),
        ),
        editing.locator("button[type=submit]").click(),
      ]);
      await page.locator(`#company-${co.json.id}:not(.editing)`, { hasText: "Inline Co Renamed" }).waitFor();
      expect(await stillSamePage(page)).toBe(true);
      expect((await callA("GET", `${TA}/companies/${co.json.id}`)).json.name).toBe("Inline Co Renamed");
      // The saved row (swapped in by the form, not by the list) upgrades its Edit again; Cancel restores it.
      await row.locator(".row-actions a", { hasText: /^Edit/ }).click();
      await editing.waitFor();
      expect(await editing.locator("input[name=name]").inputValue()).toBe("Inline Co Renamed");

      await page.goto(`${server.url}${TA}/deals`);
      await markPage(page);
      const from = requests.length;
      await Promise.all([
        page.waitForURL(`**${TA}/deals/${d.id}/edit`),
        page.locator(`#deal-${d.id} .row-actions a`, { hasText: /^Edit/ }).click(),
      ]);
      expect(requests.slice(from).some((r) => r.url().includes("fragment=row"))).toBe(false);
      expect(await page.locator("main form input[name=title]").inputValue()).toBe("deal-edit-nav");
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 30_000);
});

describe("the list filters in a real browser", () => {
  it("search, tag, owner, sort, a column and a date each swap only the results and update the URL; Back restores; rapid typing ends on the last query", async () => {
    for (const [firstName, tags] of [
      ["Zephyr", ["vip"]],
      ["Zelda", []],
      ["Quincy", ["vip"]],
    ] as const) {
      const r = await callA("POST", `${TA}/contacts`, { firstName, lastName: "Filter", tags });
      expect(r.status).toBe(201);
    }
    const { context, page, problems, requests } = await browse(OWNER);
    try {
      await page.goto(`${server.url}${TA}/contacts`);
      await markPage(page);
      const names = () =>
        page.$$eval("#contact-rows tr td:nth-child(2) a", (as) => as.map((a) => a.textContent?.trim() ?? ""));
      const query = () => new URL(page.url()).searchParams;
      const gets = (from: number) =>
        requests
          .slice(from)
          .filter((r) => r.method() === "GET" && new URL(r.url()).pathname === `${TA}/contacts`);

      let from = requests.length;
      await page.fill("form.filters input[name=q]", "Zephyr");
      await page.waitForFunction(() => new URL(location.href).searchParams.get("q") === "Zephyr");
      await page.waitForFunction(() =>
        [...document.querySelectorAll("#contact-rows tr")].every((tr) => tr.textContent?.includes("Zephyr")),
      );
      expect(await names()).toEqual(["Zephyr Filter"]);
      expect(gets(from).every((r) => r.headers()["hx-request"] === "true")).toBe(true);

      await page.fill("form.filters input[name=q]", "");
      await page.waitForFunction(() => !new URL(location.href).searchParams.get("q"));
      from = requests.length;
      // The filters other than the search sit behind the toolbar's "Filters" disclosure.
      await page.locator("form.filters details.filter-panel summary").click();
      await page.selectOption("form.filters select[name=tag]", "vip");
      await page.waitForFunction(() => new URL(location.href).searchParams.get("tag") === "vip");
      await page.waitForFunction(
        () => !document.querySelector("#contact-rows")?.textContent?.includes("Zelda"),
      );
      expect((await names()).filter((n) => n.endsWith("Filter")).sort()).toEqual([
        "Quincy Filter",
        "Zephyr Filter",
      ]);

      await page.selectOption("form.filters select[name=sort]", "name");
      await page.waitForFunction(() => new URL(location.href).searchParams.get("sort") === "name");
      const ownerValue = await page.$eval(
        "form.filters select[name=ownerId]",
        (s) => [...(s as HTMLSelectElement).options].find((o) => o.value)?.value ?? "",
      );
      await page.selectOption("form.filters select[name=ownerId]", ownerValue);
      await page.waitForFunction((v) => new URL(location.href).searchParams.get("ownerId") === v, ownerValue);

      await page.locator("form.filters details.columns summary").click();
      await page.locator("form.filters input[name=cols]:not([value=name])").first().uncheck();
      await page.waitForFunction(() => new URL(location.href).searchParams.getAll("cols").length > 0);

      await page.fill("form.filters input[name=createdFrom]", "2000-01-02");
      await page.waitForFunction(
        () => new URL(location.href).searchParams.get("createdFrom") === "2000-01-02",
      );
      expect(await stillSamePage(page)).toBe(true);
      expect(query().get("tag")).toBe("vip");
      expect(await page.locator("form.filters").count()).toBe(1);

      // Back: the previous state's URL and results.
      await page.goBack();
      await page.waitForFunction(() => !new URL(location.href).searchParams.get("createdFrom"));
      expect(query().get("tag")).toBe("vip");
      await page.goBack();
      await page.goBack();
      await page.goBack();
      await page.waitForFunction(() => !new URL(location.href).searchParams.get("tag"));
      await page.waitForFunction(() =>
        document.querySelector("#contact-rows")?.textContent?.includes("Zelda"),
      );
      expect(await page.$eval("form.filters select[name=tag]", (s) => (s as HTMLSelectElement).value)).toBe(
        "",
      );

      // Rapid typing, each key past the delay so requests overlap: the last query wins.
      await page.goto(`${server.url}${TA}/contacts`);
      await markPage(page);
      from = requests.length;
      const box = page.locator("form.filters input[name=q]");
      await box.click();
      for (const ch of "Zelda") {
        await box.press(ch === ch.toUpperCase() ? `Shift+${ch}` : ch);
        await page.waitForTimeout(320);
      }
      await page.keyboard.press("Backspace");
      await page.keyboard.press("Backspace");
      await page.keyboard.press("Backspace");
      await page.waitForFunction(() => new URL(location.href).searchParams.get("q") === "Ze");
      await page.waitForLoadState("networkidle");
      await page.waitForTimeout(400);
      expect((await names()).sort()).toEqual(["Zelda Filter", "Zephyr Filter"]);
      expect(await box.inputValue()).toBe("Ze");
      expect(gets(from).length).toBeGreaterThanOrEqual(3);

      // Delete still works on a swapped-in tbody.
      const zelda = await page.$eval("#contact-rows tr:has-text('Zelda')", (tr) => tr.id);
      page.once("dialog", (dlg) => void dlg.accept());
      await page.locator(`#${zelda} .row-actions a.danger`).click();
      await page.locator(`#${zelda}`).waitFor({ state: "detached" });
      expect(await stillSamePage(page)).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 50_000);
});
