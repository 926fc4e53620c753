import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import type { A11yRecords } from "./a11y-workspace.ts";

/**
 * axe-core, the accessibility rule engine, as test/a11y-axe.test.ts and the experience benchmark
 * (scripts/bench/experience.ts) run it: the same pages, the same rules, the same counting.
 */

export const AXE = fileURLToPath(new URL("../../node_modules/axe-core/axe.min.js", import.meta.url));

export const IMPACTS = ["critical", "serious", "moderate", "minor"] as const;

export interface AxeViolation {
  id: string;
  impact: (typeof IMPACTS)[number] | null;
  help: string;
  nodes: { target: string[] }[];
}

/** The pages anyone sees, before signing in (`slug` for the workspace's sign-in page). */
export function publicPages(slug: string): [string, string][] {
  return [
    ["landing", "/"],
    ["sign-in", `/t/${slug}/login`],
    ["sign-up", "/signup"],
    ["ops-login", "/ops/login"],
  ];
}

/** The workspace's main pages, signed in: a record of each kind to open, a word to search for. */
export function workspacePages(
  slug: string,
  records: Pick<A11yRecords, "companyId" | "contactId" | "dealId">,
  searchFor = "acme",
): [string, string][] {
  const t = `/t/${slug}`;
  return [
    ["contacts", `${t}/contacts`],
    ["companies", `${t}/companies`],
    ["deals", `${t}/deals`],
    ["board", `${t}/deals/board`],
    ["contact", `${t}/contacts/${records.contactId}`],
    ["company", `${t}/companies/${records.companyId}`],
    ["deal", `${t}/deals/${records.dealId}`],
    ["tasks", `${t}/tasks`],
    ["search", `${t}/search?q=${encodeURIComponent(searchFor)}`],
    ["settings-users", `${t}/settings/users`],
    ["settings-workspace", `${t}/settings/workspace`],
    ["settings-fields", `${t}/settings/fields`],
    ["settings-pipelines", `${t}/settings/pipelines`],
    ["settings-analytics", `${t}/settings/analytics`],
    ["settings-webhooks", `${t}/settings/webhooks`],
    ["audit-log", `${t}/settings/audit`],
    ["reports", `${t}/reports`],
    ["imports", `${t}/imports`],
  ];
}

/**
 * Runs axe on the page as it is (WCAG 2.x A and AA rules and best practices). The page's context
 * needs bypassCSP, so that the injected script runs beside the page's nonce-only scripts.
 */
export async function axe(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is the injected script's global
    const result = await (window as any).axe.run(document, { resultTypes: ["violations"] });
    // biome-ignore lint/suspicious/noExplicitAny: the subset of axe's result the callers read
    return result.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      // biome-ignore lint/suspicious/noExplicitAny: the subset of axe's result the callers read
      nodes: v.nodes.map((n: any) => ({ target: n.target })),
    }));
  });
}

/** Elements in violation by impact (an element counted once per rule it breaks). */
export function countByImpact(violations: AxeViolation[]): Record<(typeof IMPACTS)[number], number> {
  const count = (impact: (typeof IMPACTS)[number]) =>
    violations.filter((v) => v.impact === impact).reduce((n, v) => n + v.nodes.length, 0);
  return {
    critical: count("critical"),
    serious: count("serious"),
    moderate: count("moderate"),
    minor: count("minor"),
  };
}
