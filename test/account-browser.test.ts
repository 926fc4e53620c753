import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchBrowser } from "./support/browser.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { linkIn, SmtpInbox } from "./support/smtp-inbox.ts";
import { tempDir } from "./support/temp-dir.ts";
import { keepScreenshot, sidewaysOverflow, VIEWPORTS } from "./support/viewports.ts";
import { DataDir } from "./support/workspace.ts";

/**
 * Forgot password and the account page in a real Chromium, on a laptop and a phone screen:
 * "Forgot password?" from the sign-in page, the mail read from a real SMTP server, its link
 * opened, a new password set (landing signed in on the account page), then a new name saved.
 * No page scrolls sideways; screenshots of each step are kept in test-artifacts/screenshots.
 */

const T = "acct-browser";
const PUBLIC = "https://crm.example.test";
const dir = tempDir("crm-account-browser-");
const inbox = new SmtpInbox();
let server: TestServer;
let browser: Browser;
/** One context for both screens (a context costs seconds here): cookies cleared between them. */
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  const port = await inbox.listen();
  const data = new DataDir(dir.path);
  await data.tenant(T);
  for (const viewport of VIEWPORTS) await data.user(T, `${viewport.name}@browser.test`, "member");
  data.close();
  server = await startServer({
    dataDir: dir.path,
    env: {
      CRM_SMTP_URL: `smtp://127.0.0.1:${port}`,
      CRM_MAIL_FROM: "CRM <crm@browser.test>",
      CRM_PUBLIC_URL: PUBLIC,
    },
  });
  browser = await launchBrowser();
  context = await browser.newContext();
  page = await context.newPage();
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await inbox.close();
  dir.remove();
});

async function noSidewaysScroll(page: Page): Promise<void> {
  expect(await sidewaysOverflow(page)).toBe(0);
}

describe("forgot password and the account page", () => {
  for (const viewport of VIEWPORTS) {
    it(`work with a real browser at ${viewport.width}×${viewport.height}`, async () => {
      const email = `${viewport.name}@browser.test`;
      await context.clearCookies();
      await page.setViewportSize({ width: viewport.width, height: viewport.height });
      await page.goto(`${server.url}/t/${T}/login`);
      await Promise.all([
        page.waitForURL(`**/t/${T}/password-reset`),
        page.getByRole("link", { name: "Forgot password?" }).click(),
      ]);
      await page.getByLabel("Email").fill(email);
      await noSidewaysScroll(page);
      await keepScreenshot(page, `account-forgot-form-${viewport.name}`);
      await Promise.all([
        page.waitForURL(`**/t/${T}/password-reset?sent=1`),
        page.getByRole("button", { name: "Send the link" }).click(),
      ]);
      await expect(
        page.getByRole("status").filter({ hasText: "If an account with that email exists" }).count(),
      ).resolves.toBe(1);
      await noSidewaysScroll(page);
      await keepScreenshot(page, `account-forgot-sent-${viewport.name}`);

      const link = linkIn(await inbox.waitFor(email), `${PUBLIC}/t/${T}/password-reset/`);
      await page.goto(`${server.url}${link.slice(PUBLIC.length)}`);
      await page.getByLabel("New password (10 to 200 characters)").fill("a fresh strong passphrase");
      await noSidewaysScroll(page);
      await keepScreenshot(page, `account-reset-form-${viewport.name}`);
      await Promise.all([
        page.waitForURL(`**/t/${T}/account?done=reset`),
        page.getByRole("button", { name: "Set password and sign in" }).click(),
      ]);
      expect(await page.locator("#flash").textContent()).toContain("Your new password is set");

      const name = `Renamed ${viewport.name}`;
      await page.getByLabel("Your name (up to 100 characters)").fill(name);
      await Promise.all([
        page.waitForURL(`**/t/${T}/account?done=name`),
        page.getByRole("button", { name: "Save name" }).click(),
      ]);
      expect(await page.locator("#flash").textContent()).toContain("Your name was changed.");
      expect(await page.locator(".topbar .who").textContent()).toContain(name);
      await noSidewaysScroll(page);
      await keepScreenshot(page, `account-page-${viewport.name}`);
      expect(problems).toEqual([]);
    });
  }
});
