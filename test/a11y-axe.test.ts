import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Browser } from "playwright-core";
import { type A11yRecords, seedA11yWorkspace, signInPage } from "./support/a11y-workspace.ts";
import { axe, countByImpact, publicPages, workspacePages } from "./support/axe.ts";
import { launchBrowser } from "./support/browser.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { keepScreenshot, VIEWPORTS, type Viewport } from "./support/viewports.ts";
import { DataDir } from "./support/workspace.ts";

/**
 * axe-core, the accessibility rule engine, injected into every main page at both screens: no
 * serious or critical violation anywhere. The counts by impact are printed for the closing
 * note; screenshots are kept in test-artifacts/screenshots/axe-*.png.
 * One server, one browser; one page per screen, reused for every page, both screens at once.
 */

const SLUG = "axe-co";
const OWNER = "owner@axe.test";

let server: TestServer;
let browser: Browser;
let data: DataDir;
let records: A11yRecords;
const dir = tempDir();

beforeAll(async () => {
  data = new DataDir(dir.path);
  [server, browser] = await Promise.all([startServer({ dataDir: dir.path }), launchBrowser()]);
  records = await seedA11yWorkspace(data, server.url, SLUG, OWNER);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  data?.close();
  dir.remove();
});

interface Scan {
  /** Elements in violation, by page and impact. */
  counts: Record<string, Record<string, number>>;
  /** Every serious or critical violation, said in a line. */
  severe: string[];
  /** The moderate and minor ones, by rule: printed, not failed on. */
  others: Set<string>;
}

/** Every main page at one screen, in a context of its own: axe's findings and a screenshot each. */
async function scan(viewport: Viewport): Promise<Scan> {
  // bypassCSP lets the injected axe script run beside the page's nonce-only scripts.
  const context = await browser.newContext({ viewport, bypassCSP: true });
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  const result: Scan = { counts: {}, severe: [], others: new Set() };
  const visit = async (name: string, path: string) => {
    // The stylesheet is in by DOMContentLoaded (the deferred scripts wait for it): no need to
    // wait for the favicon.
    const response = await page.goto(`${server.url}${path}`, { waitUntil: "domcontentloaded" });
    if (response?.status() !== 200) throw new Error(`${name} (${path}) answered ${response?.status()}`);
    const violations = await axe(page);
    result.counts[name] = countByImpact(violations);
    for (const v of violations)
      if (v.impact === "serious" || v.impact === "critical")
        result.severe.push(
          `${name}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
        );
      else result.others.add(`${name}: ${v.impact} ${v.id} (${v.help})`);
    await keepScreenshot(page, `axe-${viewport.name}-${name}`);
  };
  try {
    for (const [name, path] of publicPages(SLUG)) await visit(name, path);
    await signInPage(page, server.url, SLUG, OWNER);
    for (const [name, path] of workspacePages(SLUG, records)) await visit(name, path);
  } finally {
    await context.close();
  }
  return result;
}

describe("axe-core on every main page", () => {
  // Both screens at once: each page waits on the server and the browser in turn.
  let scans: Promise<Scan[]>;
  beforeAll(() => {
    scans = Promise.all(VIEWPORTS.map(scan));
  });

  VIEWPORTS.forEach((viewport, i) => {
    it(`finds no serious or critical violation at ${viewport.width}×${viewport.height}`, async () => {
      const found = (await scans)[i];
      console.log(`axe violations (elements) by impact at ${viewport.width}×${viewport.height}:`);
      console.table(found?.counts);
      for (const other of found?.others ?? []) console.log(`  ${other}`);
      expect(found?.severe).toEqual([]);
      // The whole file took 34 s at a load average of 8 on two cores, but 150 s at 16 (axe
      // alone 2–9 s a page): room for a machine shared by several test runs.
    }, 240_000);
  });
});
