import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { type A11yMoreRecords, seedA11yMoreRecords } from "./support/a11y-more-records.ts";
import { type A11yRecords, seedA11yWorkspace, signInPage } from "./support/a11y-workspace.ts";
import {
  AXE,
  axe,
  publicPages as basicPublicPages,
  workspacePages as basicWorkspacePages,
  countByImpact,
} from "./support/axe.ts";
import { launchBrowser } from "./support/browser.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { SmtpInbox } from "./support/smtp-inbox.ts";
import { tempDir } from "./support/temp-dir.ts";
import { keepScreenshot, VIEWPORTS, type Viewport } from "./support/viewports.ts";
import { DataDir } from "./support/workspace.ts";

/**
 * axe-core, the accessibility rule engine, injected into every main page at both screens: no
 * serious or critical violation anywhere. The counts by impact are printed for the closing
 * note; screenshots are kept in test-artifacts/screenshots/axe-*.png.
 * One server, one browser, one context: a few tabs per screen, both screens at once.
 */

const SLUG = "axe-co";
const T = `/t/${SLUG}`;
const OWNER = "owner@axe.test";
/** Where the mailed links point (the server's own address is only known once it listens). */
const PUBLIC_URL = "https://crm.axe.test";

let server: TestServer;
let browser: Browser;
let data: DataDir;
let records: A11yRecords;
let more: A11yMoreRecords;
const dir = tempDir();
/** Mail is on, as in production: the forgot-password form and a real reset link. */
const inbox = new SmtpInbox();

beforeAll(async () => {
  data = new DataDir(dir.path);
  const env = {
    CRM_SMTP_URL: `smtp://127.0.0.1:${await inbox.listen()}`,
    CRM_MAIL_FROM: "CRM <crm@axe.test>",
    CRM_PUBLIC_URL: PUBLIC_URL,
    // The webhook's page needs a subscription: its target is on the loopback, over http.
    CRM_WEBHOOKS_ALLOW_PRIVATE: "true",
    CRM_WEBHOOKS_ALLOW_HTTP: "true",
  };
  [server, browser] = await Promise.all([startServer({ dataDir: dir.path, env }), launchBrowser()]);
  records = await seedA11yWorkspace(data, server.url, SLUG, OWNER);
  more = await seedA11yMoreRecords(data, server.url, SLUG, OWNER, records, { inbox, publicUrl: PUBLIC_URL });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await inbox.close();
  data?.close();
  dir.remove();
});

/**
 * A page's name, its path and the status it answers (200 unless said); with `submit`, the page
 * is the answer to the form it sends from the page at `path` (a refusal: nothing changes).
 */
type PageVisit = [name: string, path: string, status?: number, submit?: (page: Page) => Promise<void>];

/** Sends the page's form with the button named `name`. */
const press = (name: string) => (page: Page) => page.getByRole("button", { name, exact: true }).click();

/** The pages anyone sees, before signing in. */
function publicPages(): PageVisit[] {
  return [
    ...basicPublicPages(SLUG),
    ["forgot-password", `${T}/password-reset`],
    ["forgot-password-sent", `${T}/password-reset?sent=1`],
    ["reset-password", more.resetPath],
    ["reset-link-unknown", `${T}/password-reset/${"x".repeat(43)}`, 404],
    ["accept-invitation", more.invitePath],
  ];
}

/** The workspace's main pages, signed in as its owner. */
function workspacePages(): PageVisit[] {
  const contact = `${T}/contacts/${records.contactId}`;
  const imports = more.imports;
  return [
    // The main pages the experience benchmark scans too, then the rest of the product.
    ...basicWorkspacePages(SLUG, records),
    ["report-insights", `${T}/reports/insights`],
    ["account", `${T}/account`],
    ["contact-new", `${T}/contacts/new`],
    ["contact-edit", `${contact}/edit`],
    // A refused save: the form again with its errors (422).
    [
      "contact-edit-refused",
      `${contact}/edit`,
      422,
      async (page) => {
        await page.fill("main input[name=email]", "not-an-email");
        await press("Save")(page);
      },
    ],
    ["contact-delete", `${contact}/delete`],
    ["company-edit", `${T}/companies/${records.companyId}/edit`],
    ["deal-edit", `${T}/deals/${records.dealId}/edit`],
    ["deal-move", `${T}/deals/${records.dealId}/stage`],
    // Lost with no reason: the move page again, asking why (422).
    ["deal-lost-reason-asked", `${T}/deals/${records.dealId}/stage`, 422, press("Lost")],
    ["task-edit", `${T}/tasks/${records.taskId}/edit`],
    ["note-edit", `${T}/notes/${records.noteId}/edit`],
    ["activity-edit", `${T}/activities/${more.activityId}/edit`],
    ["merge-candidates", `${contact}/merge`],
    ["merge-comparison", `${contact}/merge?with=${records.otherContactId}`],
    ["segments", `${T}/segments`],
    ["segment-new", `${T}/segments/new`],
    ["segment", `${T}/segments/${more.segmentId}`],
    ["segment-edit", `${T}/segments/${more.segmentId}/edit`],
    ["privacy", `${T}/privacy`],
    ["erasure", `${T}/privacy/contacts/${records.contactId}/erasure`],
    ["import-mapping", `${T}/imports/${imports.mapping}`],
    ["import-checked", `${T}/imports/${imports.checked}`],
    ["import-done", `${T}/imports/${imports.done}`],
    ["import-undo", `${T}/imports/${imports.done}/undo`],
    ["import-task", more.taskPath],
    ["settings-webhook", `${T}/settings/webhooks/${more.webhookId}`],
    // Reached from the loopback (a workspace's session counts for nothing there; see ops.test.ts).
    ["ops", "/ops"],
  ];
}

interface Scan {
  /** Elements in violation, by page and impact. */
  counts: Record<string, Record<string, number>>;
  /** Every serious or critical violation, said in a line. */
  severe: string[];
  /** The moderate and minor ones, by rule: printed, not failed on. */
  others: Set<string>;
}

/**
 * Tabs per screen: while one tab's page is on its way or its screenshot is taken, another runs
 * axe. The whole file took 62 s with 2, 45 s with 3 and 48 s with 4 (load average 7 to 9 on two
 * cores, one after the other).
 */
const TABS_PER_SCREEN = 3;

/**
 * Every main page at both screens in one context (one sign-in; a context costs seconds here):
 * the pages of a list are shared out among the screen's tabs; axe's findings and a screenshot
 * of each page at each screen.
 */
async function scanAll(): Promise<Scan[]> {
  // bypassCSP lets the injected axe script run beside the page's nonce-only scripts.
  const context = await browser.newContext({ bypassCSP: true });
  context.setDefaultTimeout(60_000);
  // axe in every document from its start, sent to the browser once: a script tag added to each
  // page had cost more than axe's own run (page and axe in 2.2 s before the run, 1.0 s this way,
  // measured side by side on one loaded machine).
  await context.addInitScript({ path: AXE });
  const results: Scan[] = VIEWPORTS.map(() => ({ counts: {}, severe: [], others: new Set() }));
  const tabs = await Promise.all(
    VIEWPORTS.flatMap((viewport, screen) =>
      Array.from({ length: TABS_PER_SCREEN }, async () => {
        const page = await context.newPage();
        await page.setViewportSize({ width: viewport.width, height: viewport.height });
        return { page, viewport, result: results[screen] as Scan };
      }),
    ),
  );
  const visitAll = async (visits: PageVisit[]) => {
    const queues = VIEWPORTS.map(() => [...visits]);
    // Every tab ends its page before a failure is told (and the context closed under them).
    const ended = await Promise.allSettled(
      tabs.map(async (tab) => {
        const queue = queues[VIEWPORTS.indexOf(tab.viewport)] as PageVisit[];
        for (let next = queue.shift(); next; next = queue.shift()) await visit(tab, next);
      }),
    );
    for (const end of ended) if (end.status === "rejected") throw end.reason;
  };
  try {
    await visitAll(publicPages());
    await signInPage(tabs[0]?.page as Page, server.url, SLUG, OWNER);
    await visitAll(workspacePages());
  } finally {
    await context.close();
  }
  // In the lists' order, whichever tab took each page.
  const order = [...publicPages(), ...workspacePages()].map(([name]) => name);
  for (const result of results)
    result.counts = Object.fromEntries(order.map((name) => [name, result.counts[name] ?? {}]));
  return results;
}

/** One page at one screen: its violations counted, the severe ones said in full, a screenshot kept. */
async function visit(
  { page, viewport, result }: { page: Page; viewport: Viewport; result: Scan },
  [name, path, status = 200, submit]: PageVisit,
): Promise<void> {
  // The stylesheet is in by DOMContentLoaded (the deferred scripts wait for it): no need to
  // wait for the favicon.
  let response = await page.goto(`${server.url}${path}`, { waitUntil: "domcontentloaded" });
  if (submit)
    [response] = await Promise.all([page.waitForNavigation({ waitUntil: "domcontentloaded" }), submit(page)]);
  if (response?.status() !== status) throw new Error(`${name} (${path}) answered ${response?.status()}`);
  const violations = await axe(page);
  result.counts[name] = countByImpact(violations);
  for (const v of violations)
    if (v.impact === "serious" || v.impact === "critical")
      result.severe.push(
        `${name}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
      );
    else result.others.add(`${name}: ${v.impact} ${v.id} (${v.help})`);
  await keepScreenshot(page, `axe-${viewport.name}-${name}`);
}

describe("axe-core on every main page", () => {
  // Both screens at once: each page waits on the server and the browser in turn.
  let scans: Promise<Scan[]>;
  beforeAll(() => {
    scans = scanAll();
  });

  VIEWPORTS.forEach((viewport, i) => {
    it(`finds no serious or critical violation at ${viewport.width}×${viewport.height}`, async () => {
      const found = (await scans)[i];
      console.log(`axe violations (elements) by impact at ${viewport.width}×${viewport.height}:`);
      console.table(found?.counts);
      for (const other of found?.others ?? []) console.log(`  ${other}`);
      expect(found?.severe).toEqual([]);
      // The whole file took 45 s at a load average of 8 on two cores (main's 22 pages had
      // taken 43 s beside it), but minutes at 30 (455 s, with axe added to each page as a script
      // tag): room for a machine shared by several test runs.
    }, 600_000);
  });
});
