import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";

/** The two screens issue 11's browser tests run at: a laptop and a phone. */
export const VIEWPORTS = [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 390, height: 844 },
] as const;

export type Viewport = (typeof VIEWPORTS)[number];

/**
 * Where screenshots are kept as test artefacts (git-ignored): CRM_TEST_ARTIFACTS, or
 * ./test-artifacts in the checkout. A reviewer opens them after a run to see what was asserted.
 */
export const ARTIFACTS_DIR =
  process.env.CRM_TEST_ARTIFACTS ?? join(import.meta.dir, "..", "..", "test-artifacts");

/** Saves a full-page screenshot as test-artifacts/screenshots/<name>.png and returns its path. */
export async function keepScreenshot(page: Page, name: string): Promise<string> {
  const dir = join(ARTIFACTS_DIR, "screenshots");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name.replace(/[^a-z0-9._-]+/gi, "-")}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The page's sideways overflow in CSS pixels (0 when nothing makes it scroll sideways). */
export function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth));
}
