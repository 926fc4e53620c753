import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's chromium (installed by .ci/run), never a downloaded browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Headless chromium with the flags this sandbox needs (no background network, no sandbox as root). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * Signs `page` in through the sign-in form of workspace path `workspace` (e.g. `/t/acme`) on the
 * server at `baseUrl`, and waits for the contacts list it lands on.
 */
export async function signInOnPage(
  page: Page,
  baseUrl: string,
  workspace: string,
  email: string,
  password: string,
): Promise<void> {
  await page.goto(`${baseUrl}${workspace}/login`);
  await page.fill("#login-email", email);
  await page.fill("#login-password", password);
  await Promise.all([page.waitForURL(`**${workspace}/contacts`), page.click("main button[type=submit]")]);
}
