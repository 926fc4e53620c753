/**
 * Time to first paint in the browser (scripts/bench/experience.ts): first-contentful-paint of a
 * navigation, the targets taken in turn round after round so that the machine's noise falls on
 * all of them alike. Two kinds:
 * - cold: each in a fresh browser context (no cache, no open connection, so the stylesheet and
 *   scripts are fetched again), as a first visit;
 * - warm: a new tab in one context per target that has already loaded it (stylesheet and scripts
 *   cached, the connection open), as a user moving between pages of the app.
 */
import type { Browser, BrowserContext, BrowserContextOptions } from "playwright-core";
import { median } from "./wrk.ts";

export interface PaintTarget {
  name: string;
  url: string;
  /** The session to navigate with (none: anonymous). */
  storageState?: BrowserContextOptions["storageState"];
}

/** One cold navigation's timings, in ms from its start. */
export interface PaintSample {
  /** The first byte of the answer. */
  responseStart: number;
  firstContentfulPaint: number;
  /** The document parsed and its deferred scripts run. */
  domContentLoaded: number;
}

const SCREEN = { width: 1280, height: 800 };

/** A context for `target`: its screen and session. */
const contextFor = (browser: Browser, target: PaintTarget) =>
  browser.newContext({ viewport: SCREEN, storageState: target.storageState });

/** One cold navigation to `target`: a new context, its page, the paint entries read once loaded. */
async function coldNavigation(browser: Browser, target: PaintTarget): Promise<PaintSample> {
  const context = await contextFor(browser, target);
  try {
    return await navigation(context, target);
  } finally {
    await context.close();
  }
}

/** One navigation to `target` in a new tab of `context`, the paint entries read once loaded. */
async function navigation(context: BrowserContext, target: PaintTarget): Promise<PaintSample> {
  const page = await context.newPage();
  try {
    const response = await page.goto(target.url, { waitUntil: "load", timeout: 30_000 });
    if (response?.status() !== 200) throw new Error(`${target.url} answered ${response?.status()}`);
    const sample = await page.evaluate(
      () =>
        new Promise<PaintSample | null>((resolve) => {
          const navigation = performance.getEntriesByType("navigation")[0] as
            | PerformanceNavigationTiming
            | undefined;
          const done = (fcp: number) =>
            resolve(
              navigation
                ? {
                    responseStart: navigation.responseStart,
                    firstContentfulPaint: fcp,
                    domContentLoaded: navigation.domContentLoadedEventEnd,
                  }
                : null,
            );
          // The entry may come after load: wait for it (buffered: one already there is given at once).
          new PerformanceObserver((list, observer) => {
            const fcp = list.getEntriesByName("first-contentful-paint")[0];
            if (fcp) {
              observer.disconnect();
              done(fcp.startTime);
            }
          }).observe({ type: "paint", buffered: true });
          setTimeout(() => resolve(null), 10_000);
        }),
    );
    if (!sample) throw new Error(`${target.url}: no first-contentful-paint within 10 s of load`);
    return sample;
  } finally {
    await page.close();
  }
}

/** The value at or below which `percent` % of `values` fall (nearest rank). */
export function percentile(values: number[], percent: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((percent / 100) * sorted.length) - 1)] as number;
}

export interface PaintFigures {
  name: string;
  fcpMedian: number;
  fcpP90: number;
  responseStartMedian: number;
  domContentLoadedMedian: number;
}

/**
 * `rounds` navigations (`kind`: cold or warm, see above) to every target, after one round not
 * counted (the server's and the browser's first requests compile code; for warm, it fills each
 * target's cache); the targets' order turns each round.
 */
export async function measurePaint(
  browser: Browser,
  targets: PaintTarget[],
  rounds: number,
  kind: "cold" | "warm" = "cold",
): Promise<PaintFigures[]> {
  const warm = new Map<string, BrowserContext>();
  if (kind === "warm") for (const target of targets) warm.set(target.name, await contextFor(browser, target));
  const once = (target: PaintTarget) => {
    const context = warm.get(target.name);
    return context ? navigation(context, target) : coldNavigation(browser, target);
  };
  const samples = new Map<string, PaintSample[]>(targets.map((t) => [t.name, []]));
  try {
    for (const target of targets) await once(target);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < targets.length; i++) {
        const target = targets[(round + i) % targets.length] as PaintTarget;
        samples.get(target.name)?.push(await once(target));
      }
    }
  } finally {
    for (const context of warm.values()) await context.close();
  }
  return targets.map((target) => {
    const mine = samples.get(target.name) ?? [];
    const fcp = mine.map((s) => s.firstContentfulPaint);
    return {
      name: target.name,
      fcpMedian: median(fcp),
      fcpP90: percentile(fcp, 90),
      responseStartMedian: median(mine.map((s) => s.responseStart)),
      domContentLoadedMedian: median(mine.map((s) => s.domContentLoaded)),
    };
  });
}
