/**
 * Time to first paint in the browser (scripts/bench/experience.ts): first-contentful-paint of a
 * cold navigation, each in a fresh browser context (no cache, no open connection, so the
 * stylesheet is fetched again), the targets taken in turn round after round so that the
 * machine's noise falls on all of them alike.
 */
import type { Browser, BrowserContextOptions } from "playwright-core";
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

/** One cold navigation to `target`: a new context, its page, the paint entries read once loaded. */
async function coldNavigation(browser: Browser, target: PaintTarget): Promise<PaintSample> {
  const context = await browser.newContext({ viewport: SCREEN, storageState: target.storageState });
  try {
    const page = await context.newPage();
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
    await context.close();
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
 * `rounds` cold navigations to every target, after one round not counted (the server's and the
 * browser's first requests compile code); the targets' order turns each round.
 */
export async function measurePaint(
  browser: Browser,
  targets: PaintTarget[],
  rounds: number,
): Promise<PaintFigures[]> {
  for (const target of targets) await coldNavigation(browser, target);
  const samples = new Map<string, PaintSample[]>(targets.map((t) => [t.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(round + i) % targets.length] as PaintTarget;
      samples.get(target.name)?.push(await coldNavigation(browser, target));
    }
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
