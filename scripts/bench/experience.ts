/**
 * Benchmark: the figures of issue 11's closing note, measured in Debian's chromium against the
 * real server (`crm serve --demo`, one process, the demo workspace `npm start` seeds: 5,000
 * contacts, realistic names):
 *   1. pixels above the contacts list's first row (the top of its box, the page scrolled to the
 *      top) at 1280×800 and 390×844 (issue targets ≤ 200 and ≤ 300; before: ~490 and ~900);
 *   2. Tab presses from the list's load to its first contact's link, straight through the page
 *      and through the skip link (Tab, Enter, Tabs) (target ≤ 3; before: 44);
 *   3. axe-core violations (elements) by impact on every main page at both screens: the pages
 *      test/a11y-axe.test.ts checks (test/support/axe.ts), and a few it does not;
 *   4. first contentful paint of the contacts list, the board and a deal page over N cold and
 *      N warm navigations each (median, p90), beside two references measured in the same rounds:
 *      /healthz shown as a page (a line of text, no stylesheet: the floor of a navigation here)
 *      and the sign-in page (the same head as every page, stylesheet and deferred scripts, and a
 *      small form: the shell without the workspace's data). The ratios are what to compare
 *      between runs; this machine is shared and noisy (its load average is printed).
 * Misses of the targets are printed as such; the exit code is non-zero only when the run fails.
 *
 * Usage: bun scripts/bench/experience.ts [--rounds N] [--no-axe]   (npm run bench:experience)
 */
import "./bench-env.ts";
import { parseArgs } from "node:util";
import type { Browser, BrowserContextOptions } from "playwright-core";
import { DEMO } from "../../src/cli/demo-workspace.ts";
import { axe, countByImpact, IMPACTS, publicPages, workspacePages } from "../../test/support/axe.ts";
import { launchBrowser, signInOnPage } from "../../test/support/browser.ts";
import { startServer } from "../../test/support/server.ts";
import { tempDir } from "../../test/support/temp-dir.ts";
import { VIEWPORTS, type Viewport } from "../../test/support/viewports.ts";
import { aboveFirstRow, tabsToFirstContact } from "./experience-layout.ts";
import { measurePaint } from "./experience-paint.ts";

const { values } = parseArgs({
  options: { rounds: { type: "string", default: "15" }, "no-axe": { type: "boolean", default: false } },
  strict: true,
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error("--rounds takes a whole number ≥ 1");

type StorageState = BrowserContextOptions["storageState"];
const T = `/t/${DEMO.slug}`;
/** Issue 11's targets for the pixels above the first row, by screen. */
const PIXEL_TARGETS: Record<Viewport["name"], number> = { desktop: 200, phone: 300 };
const TAB_TARGET = 3;

const loadAverage = async () => (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ");

/** Prints rows under a header, each column as wide as its widest cell (numbers to the right). */
function table(header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  for (const [n, row] of cells.entries()) {
    console.log(
      row
        .map((cell, i) =>
          i > 0 && n > 0 && /^[\d.×-]+$/.test(cell)
            ? cell.padStart(widths[i] ?? 0)
            : cell.padEnd(widths[i] ?? 0),
        )
        .join("  "),
    );
    if (n === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
}

/** A record of each kind in the demo workspace to open a page on, and a word to search for. */
async function demoRecords(browser: Browser, base: string, storageState: StorageState) {
  const context = await browser.newContext({ storageState });
  const page = await context.newPage();
  try {
    const firstId = async (list: string, type: string) => {
      await page.goto(`${base}${T}/${list}`);
      const id = await page.getAttribute(`#${type}-rows tr:first-child`, "id");
      const number = Number(id?.slice(type.length + 1));
      if (!Number.isSafeInteger(number)) throw new Error(`no ${type} on ${T}/${list}`);
      return number;
    };
    const contactId = await firstId("contacts", "contact");
    const lastName = await page.$eval(`#contact-${contactId} a[href*="/contacts/"]`, (a) =>
      (a.textContent ?? "").trim().split(/\s+/).at(-1),
    );
    return {
      contactId,
      companyId: await firstId("companies", "company"),
      dealId: await firstId("deals", "deal"),
      searchFor: lastName || "a",
    };
  } finally {
    await context.close();
  }
}

/** axe on every main page at one screen: elements in violation by impact, by page. */
async function axeScan(
  browser: Browser,
  base: string,
  viewport: Viewport,
  pages: { name: string; path: string; signedIn: boolean }[],
  storageState: StorageState,
) {
  const counts: Record<string, Record<string, number | string>> = {};
  const severe: string[] = [];
  for (const signedIn of [false, true]) {
    // bypassCSP lets the injected axe script run beside the page's nonce-only scripts.
    const context = await browser.newContext({
      viewport,
      bypassCSP: true,
      storageState: signedIn ? storageState : undefined,
    });
    context.setDefaultTimeout(60_000);
    const page = await context.newPage();
    try {
      for (const { name, path } of pages.filter((p) => p.signedIn === signedIn)) {
        const response = await page.goto(`${base}${path}`, { waitUntil: "domcontentloaded" });
        if (response?.status() !== 200) throw new Error(`${name} (${path}) answered ${response?.status()}`);
        const violations = await axe(page);
        counts[name] = countByImpact(violations);
        for (const v of violations)
          if (v.impact === "serious" || v.impact === "critical")
            severe.push(`${viewport.name} ${name}: ${v.impact} ${v.id} (${v.help}) × ${v.nodes.length}`);
      }
    } finally {
      await context.close();
    }
  }
  return { counts, severe };
}

/** Every measure, in order, printed as it comes. */
async function run(browser: Browser, base: string, loadBefore: string): Promise<void> {
  const signIn = await browser.newContext();
  await signInOnPage(await signIn.newPage(), base, T, DEMO.email, DEMO.password);
  const session = await signIn.storageState();
  await signIn.close();
  console.log(
    `experience benchmark: ${base}${T} (the demo workspace, ${DEMO.contacts} contacts), one process`,
  );
  console.log(`load average before: ${loadBefore}  (2 cores: above 2 the figures wait on other work)`);

  console.log("\n1. Pixels above the first row of the contacts list (page scrolled to the top)\n");
  const pixelRows: (string | number)[][] = [];
  for (const viewport of VIEWPORTS) {
    const above = await aboveFirstRow(browser, `${base}${T}/contacts`, viewport, session);
    const target = PIXEL_TARGETS[viewport.name];
    pixelRows.push([
      `${viewport.width}×${viewport.height}`,
      above.firstRowTop,
      `≤ ${target}`,
      above.firstRowTop <= target ? "met" : "MISSED",
      // NaN: the page has no such block (an older checkout's list had no .list-toolbar).
      ...[above.topBarBottom, above.toolbarBottom, above.headerRowBottom].map((y) =>
        Number.isNaN(y) ? "-" : y,
      ),
      above.sideways,
    ]);
  }
  table(
    [
      "screen",
      "first row at",
      "target",
      "",
      "top bar ends",
      "toolbar ends",
      "header row ends",
      "sideways px",
    ],
    pixelRows,
  );

  console.log("\n2. Tab presses from the contacts list's load to the first contact's link\n");
  const tabRows: (string | number)[][] = [];
  for (const viewport of VIEWPORTS) {
    const tabs = await tabsToFirstContact(browser, `${base}${T}/contacts`, viewport, session);
    const viaSkip = tabs.afterSkip === null ? null : 1 + tabs.afterSkip;
    tabRows.push([
      `${viewport.width}×${viewport.height}`,
      tabs.straight ?? "never",
      viaSkip ?? (tabs.skipLink ? "never" : "no skip link"),
      `≤ ${TAB_TARGET}`,
      viaSkip !== null && viaSkip <= TAB_TARGET ? "met" : "MISSED",
      tabs.firstTab,
      tabs.afterEnter,
    ]);
  }
  table(
    [
      "screen",
      "Tabs straight",
      "Tabs via skip link",
      "target",
      "",
      "1st Tab lands on",
      "after Enter, focus on",
    ],
    tabRows,
  );
  console.log("(via skip link: Tab, Enter, then Tabs; the Enter is not counted)");

  const records = await demoRecords(browser, base, session);
  if (!values["no-axe"]) {
    console.log("\n3. axe-core violations (elements) by impact, every main page\n");
    const pages = [
      ...publicPages(DEMO.slug).map(([name, path]) => ({ name, path, signedIn: false })),
      ...[
        ...workspacePages(DEMO.slug, records, records.searchFor),
        // Pages test/a11y-axe.test.ts does not visit.
        ["insights*", `${T}/reports/insights`],
        ["segments*", `${T}/segments`],
        ["account*", `${T}/account`],
        ["ops*", "/ops"],
      ].map(([name, path]) => ({ name: name as string, path: path as string, signedIn: true })),
    ];
    // Both screens at once: each page waits on the server and the browser in turn.
    const scans = await Promise.all(VIEWPORTS.map((v) => axeScan(browser, base, v, pages, session)));
    table(
      ["page", ...VIEWPORTS.flatMap((v) => IMPACTS.map((impact) => `${v.name[0]}:${impact}`))],
      pages.map(({ name }) => [
        name,
        ...scans.flatMap((scan) => IMPACTS.map((impact) => scan.counts[name]?.[impact] ?? "-")),
      ]),
    );
    const totals = scans.map((scan) =>
      IMPACTS.map((impact) =>
        Object.values(scan.counts).reduce((n, c) => n + Number(c[impact] ?? 0), 0),
      ).join("/"),
    );
    console.log(
      `totals (critical/serious/moderate/minor): ${VIEWPORTS.map((v, i) => `${v.name} ${totals[i]}`).join(", ")}`,
    );
    console.log("d: 1280×800, p: 390×844; * not among test/a11y-axe.test.ts's pages");
    for (const line of scans.flatMap((s) => s.severe)) console.log(`  ${line}`);
  }

  const targets = [
    { name: "/healthz as a page", url: `${base}/healthz` },
    { name: "sign-in page", url: `${base}${T}/login` },
    { name: "contacts list", url: `${base}${T}/contacts`, storageState: session },
    { name: "board", url: `${base}${T}/deals/board`, storageState: session },
    { name: "deal page", url: `${base}${T}/deals/${records.dealId}`, storageState: session },
  ];
  for (const [kind, heading] of [
    ["cold", "fresh context: no cache, no connection, as a first visit"],
    ["warm", "a new tab of a context that loaded the page: stylesheet and scripts cached, connection open"],
  ] as const) {
    console.log(
      `\n4${kind === "cold" ? "a" : "b"}. First contentful paint, ${rounds} ${kind} navigations each (${heading}), 1280×800\n`,
    );
    const figures = await measurePaint(browser, targets, rounds, kind);
    const [healthz, signInPage] = figures;
    table(
      [
        "page",
        "FCP median ms",
        "FCP p90 ms",
        "÷ sign-in",
        "÷ /healthz",
        "first byte ms",
        "DOMContentLoaded ms",
      ],
      figures.map((f) => [
        f.name,
        f.fcpMedian.toFixed(0),
        f.fcpP90.toFixed(0),
        (f.fcpMedian / (signInPage?.fcpMedian ?? Number.NaN)).toFixed(2),
        (f.fcpMedian / (healthz?.fcpMedian ?? Number.NaN)).toFixed(2),
        f.responseStartMedian.toFixed(1),
        f.domContentLoadedMedian.toFixed(0),
      ]),
    );
  }
  console.log(
    "(issue 11: keep list, board and deal page at ~130–200 ms or better; ratios are medians ÷ medians)",
  );
}

const started = Date.now();
const loadBefore = await loadAverage();
const dir = tempDir("crm-bench-experience-");
const server = await startServer({ dataDir: dir.path, args: ["--demo"] });
let browser: Browser | undefined;
try {
  await server.waitForStderr(DEMO.password, 120_000);
  browser = await launchBrowser();
  await run(browser, server.url, loadBefore);
  console.log(
    `\nload average after: ${await loadAverage()}; ${((Date.now() - started) / 1000).toFixed(0)} s in all`,
  );
  console.log(
    `command: bun scripts/bench/experience.ts --rounds ${rounds}${values["no-axe"] ? " --no-axe" : ""}`,
  );
} finally {
  await browser?.close();
  await server.stop();
  dir.remove();
}
