import { fetchPage, LOADTEST_PREFIX } from "./discover-workspace.ts";
import { LoadtestError } from "./loadtest-error.ts";
import type { SignedInUser } from "./sign-in.ts";
import type { WorkspaceUrl } from "./workspace-url.ts";

/**
 * The list filter that finds the candidates: the word "loadtest" and the tag "loadtest". It
 * matches more than a run makes (an email, a last name, a company's name with the word): only
 * the records named exactly as a run names them are deleted (RUN_NAMES).
 */
const FILTER = `q=${LOADTEST_PREFIX}&tag=${LOADTEST_PREFIX}`;

const KINDS = ["contacts", "deals"] as const;
type Kind = (typeof KINDS)[number];

/**
 * How a run names what it makes (src/loadtest/prepare-run.ts, scripts/loadtest/lib/crm.lua),
 * with `<run>` the run's base-36 time: contacts "loadtest <run>-pool-<w>-<i>" (the
 * preparation's), "loadtest <run>-<slice>-<thread>-<n>" (made by the run) and "loadtest edited
 * <run>-…" (edited by it): the first name "loadtest", the rest the last name; deals "loadtest
 * deal <run>-…" likewise. Both kinds are tagged "loadtest" (the filter).
 */
const SUFFIX = "[0-9a-z]+-(?:pool-\\d+-\\d+|\\d+-\\d+-\\d+)";
export const RUN_NAMES: Record<Kind, RegExp> = {
  contacts: new RegExp(`^${LOADTEST_PREFIX} (?:edited )?${SUFFIX}$`),
  deals: new RegExp(`^${LOADTEST_PREFIX} deal ${SUFFIX}$`),
};

/** Bulk deletes by ids, this many at a time. */
const CHUNK = 500;

/** The ids of the records the filter's list shows (every page) that a run made. */
async function runRecords(where: WorkspaceUrl, user: SignedInUser, kind: Kind): Promise<string[]> {
  const ids = new Set<string>();
  const link = new RegExp(`<a href="${where.base}/${kind}/(\\d+)">([^<]*)</a>`, "g");
  let path: string | undefined = `/${kind}?${FILTER}`;
  for (let pages = 0; path && pages < 1000; pages++) {
    const page = await fetchPage(where, user, path);
    for (const m of page.matchAll(link)) if (RUN_NAMES[kind].test(m[2] as string)) ids.add(m[1] as string);
    const next = /<a href="([^"]+)" rel="next"/.exec(page)?.[1]?.replace(/&amp;/g, "&");
    path = next?.startsWith(where.base) ? next.slice(where.base.length) : undefined;
  }
  return [...ids];
}

/**
 * Deletes every contact and deal load tests made (named as a run names them and tagged
 * "loadtest"), by their ids through the lists' bulk delete (confirmed), as a person ticking
 * them would; a large selection runs as a background task in the server, waited for here (at
 * most `timeoutMs` per kind). Returns how many of each there were.
 */
export async function removeLoadtestRecords(
  where: WorkspaceUrl,
  user: SignedInUser,
  timeoutMs = 120_000,
): Promise<Record<Kind, number>> {
  const removed = { contacts: 0, deals: 0 };
  for (const kind of KINDS) {
    const ids = await runRecords(where, user, kind);
    removed[kind] = ids.length;
    const until = Date.now() + timeoutMs;
    for (let from = 0; from < ids.length; from += CHUNK) {
      for (;;) {
        const answer = await fetch(`${where.origin}${where.base}/${kind}/bulk`, {
          method: "POST",
          redirect: "manual",
          headers: { cookie: user.cookie, "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({
            _csrf: user.csrf,
            ids: ids.slice(from, from + CHUNK).join("\n"),
            action: "delete",
            confirm: "1",
          }),
        });
        await answer.arrayBuffer();
        if (answer.status === 303) break;
        // Busy (the workspace's share of the worker pool taken by the previous chunks, or a
        // rate limit): asked again after the wait the server names, as a person would.
        const retryAfter = Number(answer.headers.get("retry-after"));
        if ((answer.status === 503 || answer.status === 429) && Date.now() < until) {
          await Bun.sleep(
            Math.min(10, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 1) * 1000,
          );
          continue;
        }
        throw new LoadtestError(
          `removing the load test's ${kind} as ${user.email}: the bulk delete answered ${answer.status}`,
        );
      }
    }
    const gone = new Set(ids);
    const stillThere = async () => (await runRecords(where, user, kind)).filter((id) => gone.has(id)).length;
    let left = ids.length ? await stillThere() : 0;
    while (left > 0) {
      if (Date.now() > until)
        throw new LoadtestError(
          `removing the load test's ${kind}: ${left} still there after ${timeoutMs / 1000} s`,
        );
      await Bun.sleep(250);
      left = await stillThere();
    }
  }
  return removed;
}
