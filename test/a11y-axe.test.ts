import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { type A11yRecords, seedA11yWorkspace, signInPage } from "./support/a11y-workspace.ts";
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

const AXE = fileURLToPath(new URL("../node_modules/axe-core/axe.min.js", import.meta.url));
const SLUG = "axe-co";
const T = `/t/${SLUG}`;
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

/** The pages anyone sees, before signing in. */
const PUBLIC_PAGES: [string, string][] = [
  ["landing", "/"],
  ["sign-in", `${T}/login`],
  ["sign-up", "/signup"],
  ["ops-login", "/ops/login"],
];

/** The workspace's main pages, signed in as its owner. */
function workspacePages(): [string, string][] {
  return [
    ["contacts", `${T}/contacts`],
    ["companies", `${T}/companies`],
    ["deals", `${T}/deals`],
    ["board", `${T}/deals/board`],
    ["contact", `${T}/contacts/${records.contactId}`],
    ["company", `${T}/companies/${records.companyId}`],
    ["deal", `${T}/deals/${records.dealId}`],
    ["tasks", `${T}/tasks`],
    ["search", `${T}/search?q=acme`],
    ["settings-users", `${T}/settings/users`],
    ["settings-workspace", `${T}/settings/workspace`],
    ["settings-fields", `${T}/settings/fields`],
    ["settings-pipelines", `${T}/settings/pipelines`],
    ["settings-analytics", `${T}/settings/analytics`],
    ["settings-webhooks", `${T}/settings/webhooks`],
    ["audit-log", `${T}/settings/audit`],
    ["reports", `${T}/reports`],
    ["imports", `${T}/imports`],
  ];
}

interface AxeViolation {
  id: string;
  impact: "minor" | "moderate" | "serious" | "critical" | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Runs axe on the page as it is (WCAG 2.x A and AA rules and best practices). */
async function axe(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is the injected script's global
    const result = await (window as any).axe.run(document, { resultTypes: ["violations"] });
    // biome-ignore lint/suspicious/noExplicitAny: the subset of axe's result the test reads
    return result.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      // biome-ignore lint/suspicious/noExplicitAny: the subset of axe's result the test reads
      nodes: v.nodes.map((n: any) => ({ target: n.target })),
    }));
  });
}

const IMPACTS = ["critical", "serious", "moderate", "minor"] as const;

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
    result.counts[name] = Object.fromEntries(
      IMPACTS.map((impact) => [
        impact,
        violations.filter((v) => v.impact === impact).reduce((n, v) => n + v.nodes.length, 0),
      ]),
    );
    for (const v of violations)
      if (v.impact === "serious" || v.impact === "critical")
        result.severe.push(
          `${name}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
        );
      else result.others.add(`${name}: ${v.impact} ${v.id} (${v.help})`);
    await keepScreenshot(page, `axe-${viewport.name}-${name}`);
  };
  try {
    for (const [name, path] of PUBLIC_PAGES) await visit(name, path);
    await signInPage(page, server.url, SLUG, OWNER);
    for (const [name, path] of workspacePages()) await visit(name, path);
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
