import { fetchPage, LOADTEST_PREFIX } from "./discover-workspace.ts";
import { LoadtestError } from "./loadtest-error.ts";
import type { SignedInUser } from "./sign-in.ts";
import type { WorkspaceUrl } from "./workspace-url.ts";

/**
 * The list filter that finds what load tests create: the word "loadtest" and the tag "loadtest"
 * (every contact and deal a run makes has both; the workspace's own records would need both too).
 */
const FILTER = `q=${LOADTEST_PREFIX}&tag=${LOADTEST_PREFIX}`;

const KINDS = ["contacts", "deals"] as const;

/** How many records of a kind the filter matches, from its list page ("More than 1,000" counted as 1,001). */
async function matching(where: WorkspaceUrl, user: SignedInUser, kind: string): Promise<number> {
  const page = await fetchPage(where, user, `/${kind}?${FILTER}`);
  if (/No [a-z]+ match/.test(page)) return 0;
  if (/More than 1,000/.test(page)) return 1001;
  const count = new RegExp(`([\\d,]+) ${kind.slice(0, -1)}s? match`).exec(page)?.[1];
  return Number(count?.replace(/,/g, "") ?? 0);
}

/**
 * Deletes every contact and deal load tests made, as a person would with the list's bulk bar
 * ("all matching", Delete, confirmed): a background task in the server, waited for here (at most
 * `timeoutMs` per kind). Returns how many of each there were.
 */
export async function removeLoadtestRecords(
  where: WorkspaceUrl,
  user: SignedInUser,
  timeoutMs = 120_000,
): Promise<Record<(typeof KINDS)[number], number>> {
  const removed = { contacts: 0, deals: 0 };
  for (const kind of KINDS) {
    if ((await matching(where, user, kind)) === 0) continue;
    const bulk = (confirm: boolean) =>
      fetch(`${where.origin}${where.base}/${kind}/bulk`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie: user.cookie, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          _csrf: user.csrf,
          filter: FILTER,
          scope: "all",
          action: "delete",
          ...(confirm ? { confirm: "1" } : {}),
        }),
      });
    // The confirmation page says exactly how many ("Delete 198 contacts?"), the list only up to 1,000.
    const confirmation = await (await bulk(false)).text();
    removed[kind] = Number(/Delete ([\d,]+) [a-z]+\?/.exec(confirmation)?.[1]?.replace(/,/g, "") ?? 0);
    const answer = await bulk(true);
    await answer.arrayBuffer();
    if (answer.status !== 303)
      throw new LoadtestError(
        `removing the load test's ${kind} as ${user.email}: the bulk delete answered ${answer.status}`,
      );
    const until = Date.now() + timeoutMs;
    let left = removed[kind];
    while (left > 0) {
      if (Date.now() > until)
        throw new LoadtestError(
          `removing the load test's ${kind}: ${left} still there after ${timeoutMs / 1000} s`,
        );
      await Bun.sleep(250);
      left = await matching(where, user, kind);
    }
  }
  return removed;
}
