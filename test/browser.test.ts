import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { launchBrowser } from "./support/browser.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { PASSWORD } from "./support/workspace.ts";

let server: TestServer;
let browser: Browser;
let page: Page;
const dir = tempDir();
const problems: string[] = [];
const dialogs: string[] = [];
let confirmDialogs = true;

beforeAll(async () => {
  server = await startServer({ dataDir: dir.path });
  browser = await launchBrowser();
  page = await browser.newPage();
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning")
      problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    return confirmDialogs ? dialog.accept() : dialog.dismiss();
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  dir.remove();
});

/** Set on the window once; if a click reloads the page instead of swapping a fragment, it is gone. */
async function markPage() {
  await page.evaluate(() => {
    (window as unknown as { __noReload: boolean }).__noReload = true;
  });
}

async function stillSamePage() {
  return page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload === true);
}

describe("in a real browser", () => {
  it("signs up, adds a contact inline, edits it in place, finds it, deletes it: no reloads, no console errors", async () => {
    await page.goto(`${server.url}/signup`);
    await page.fill("#signup-name", "Browser Bakery");
    await page.fill("#signup-slug", "browser-bakery");
    await page.fill("#signup-ownerName", "Bea");
    await page.fill("#signup-ownerEmail", "bea@bakery.test");
    await page.fill("#signup-ownerPassword", PASSWORD);
    await Promise.all([page.waitForURL("**/t/browser-bakery/contacts"), page.click("button[type=submit]")]);
    expect(await page.textContent("h1")).toBe("Contacts");
    await page.waitForFunction(() => "htmx" in window);
    await markPage();

    // Quick add through htmx (behind the list's "New contact" disclosure): the row appears at
    // the top and the form comes back empty.
    await page.click("details.quick-add-toggle > summary");
    await page.fill("#new-contact-firstName", "Marie");
    await page.fill("#new-contact-lastName", "Curie");
    await page.fill("#new-contact-email", "marie@radium.test");
    await page.fill("#new-contact-companyName", "Radium Institute");
    await page.click("#new-contact button[type=submit]");
    const row = page.locator("#contact-rows tr", { hasText: "Marie Curie" });
    await row.waitFor();
    expect(await row.textContent()).toContain("Radium Institute");
    await page.waitForFunction(
      () => (document.querySelector("#new-contact-firstName") as HTMLInputElement).value === "",
    );
    expect(await stillSamePage()).toBe(true);

    // A bad quick add that gets past the browser's own checks shows the server's errors inline,
    // without losing what was typed.
    await page.fill("#new-contact-lastName", "Nameless");
    await page.fill("#new-contact-email", "not-an-email");
    await page.evaluate(() => {
      (document.querySelector("#new-contact") as HTMLFormElement).noValidate = true;
    });
    await page.click("#new-contact button[type=submit]");
    await page.locator("#new-contact-firstName-error").waitFor();
    await page.locator("#new-contact-email-error").waitFor();
    expect(await page.inputValue("#new-contact-lastName")).toBe("Nameless");
    expect(await stillSamePage()).toBe(true);

    // Edit in place: the row turns into a form, and saving swaps the updated row back.
    await row.locator("text=Edit").click();
    const editing = page.locator("#contact-rows tr.editing");
    await editing.waitFor();
    await editing.locator("input[name=lastName]").fill("Skłodowska-Curie");
    await editing.locator("input[name=title]").fill("Physicist");
    await editing.locator("button[type=submit]").click();
    const updated = page.locator("#contact-rows tr", { hasText: "Marie Skłodowska-Curie" });
    await updated.waitFor();
    expect(await updated.textContent()).toContain("Physicist");
    expect(await page.locator("#contact-rows tr.editing").count()).toBe(0);
    expect(await stillSamePage()).toBe(true);

    // Search as you type swaps only the results.
    await page.fill(".filters input[name=q]", "skłodowska");
    await page.waitForFunction(() =>
      document.querySelector("#contacts-results .summary")?.textContent?.includes("1 contact match"),
    );
    expect(page.url()).toContain("q=sk");
    expect(await stillSamePage()).toBe(true);

    // A choice in the filters (behind the "Filters" disclosure) applies at once, through the
    // form's one set of htmx attributes.
    await page.click("details.filter-panel > summary");
    await page.selectOption(".filters select[name=sort]", "name");
    await page.waitForFunction(() => location.search.includes("sort=name"));
    await updated.waitFor();
    expect(await stillSamePage()).toBe(true);

    // Delete asks first; declined, nothing happens.
    confirmDialogs = false;
    await updated.locator("text=Delete").click();
    expect(dialogs).toEqual(["Delete this contact?"]);
    await Bun.sleep(200);
    expect(await updated.count()).toBe(1);
    expect(await stillSamePage()).toBe(true);

    // Delete with confirmation (the dialog is accepted): the row goes away.
    confirmDialogs = true;
    await updated.locator("text=Delete").click();
    await updated.waitFor({ state: "detached" });
    expect(await stillSamePage()).toBe(true);

    // And the list, reloaded from the server, agrees.
    await page.goto(`${server.url}/t/browser-bakery/contacts`);
    expect(await page.locator("#contact-rows tr").count()).toBe(0);
    // Chrome reports every 4xx fetch on the console; the deliberate invalid submit above is the only one.
    expect(problems).toEqual([
      "error: Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)",
    ]);
  }, 60_000);

  it("drags a deal card to another stage and sees both columns' totals update", async () => {
    await page.goto(`${server.url}/t/browser-bakery/deals/new`);
    await page.fill("#deal-title", "Wedding cake order");
    await page.fill("#deal-amount", "1,250.00");
    await Promise.all([page.waitForURL(/\/deals\/\d+$/), page.click("main button[type=submit]")]);
    await page.goto(`${server.url}/t/browser-bakery/deals/board`);
    await page.waitForFunction(() => "htmx" in window);
    await markPage();
    const columns = page.locator(".column");
    const lead = columns.nth(0);
    const qualified = columns.nth(1);
    expect(await lead.locator(".count").textContent()).toBe("1");
    expect(await qualified.locator(".count").textContent()).toBe("0");
    await page.dragAndDrop("#board .card", ".column:nth-child(2)");
    await page.waitForFunction(
      () => document.querySelector(".column:nth-child(2) .count")?.textContent === "1",
    );
    expect(await page.locator(".column").nth(0).locator(".count").textContent()).toBe("0");
    expect(await page.locator(".column").nth(1).locator(".sum").textContent()).toBe("$1,250.00");
    expect(await page.locator(".column").nth(1).textContent()).toContain("Wedding cake order");
    expect(await stillSamePage()).toBe(true);

    // The keyboard way: the card's "Move to…" link opens the board's one dialog, naming the
    // deal and offering every stage but its own; the move puts focus back on the moved card.
    const card = await page.locator("#board .card").getAttribute("id");
    await page.locator("#board .card a.move").focus();
    await page.keyboard.press("Enter");
    const dialog = page.locator("#move-dialog");
    await dialog.waitFor();
    expect(await dialog.locator("h2").textContent()).toBe("Move “Wedding cake order” to");
    expect(await dialog.locator("button[name=stageId]:visible").allTextContents()).toEqual([
      "Lead",
      "Proposal",
      "Negotiation",
      "Won",
      "Lost",
    ]);
    await dialog.locator("button", { hasText: "Proposal" }).focus();
    await page.keyboard.press("Enter");
    await page.waitForFunction(
      () => document.querySelector(".column:nth-child(3) .count")?.textContent === "1",
    );
    await page.waitForFunction((id) => document.activeElement?.closest(".card")?.id === id, card);
    expect(await dialog.isVisible()).toBe(false);
    expect(await page.locator(".column").nth(1).locator(".count").textContent()).toBe("0");
    expect(await stillSamePage()).toBe(true);
    expect(problems.filter((p) => !p.includes("422"))).toEqual([]);
  }, 60_000);

  it("works without JavaScript: create, then see it on its page", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const plain = await context.newPage();
    await plain.goto(`${server.url}/t/browser-bakery/login`);
    await plain.fill("#login-email", "bea@bakery.test");
    await plain.fill("#login-password", PASSWORD);
    await Promise.all([plain.waitForURL("**/contacts"), plain.click("button[type=submit]")]);
    await plain.click("details.quick-add-toggle > summary");
    await plain.fill("#new-contact-firstName", "Pierre");
    await plain.fill("#new-contact-lastName", "Curie");
    await Promise.all([
      plain.waitForURL(/\/contacts\/\d+$/),
      plain.click("#new-contact button[type=submit]"),
    ]);
    expect(await plain.textContent("h1")).toBe("Pierre Curie");
    await context.close();
  }, 30_000);
});
