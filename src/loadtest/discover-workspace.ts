import { LoadtestError } from "./loadtest-error.ts";
import type { SignedInUser } from "./sign-in.ts";
import type { WorkspaceUrl } from "./workspace-url.ts";

/** Real ids of a workspace for the scenarios to read, found through its pages as a user sees them. */
export interface WorkspaceIds {
  contacts: string[];
  companies: string[];
  deals: string[];
  /** The open stages (not won or lost) of the board's pipeline, in board order. */
  openStages: string[];
  segments: string[];
  /** Words to search for: first names of the workspace's people. */
  terms: string[];
}

/** What a load test writes is named so: the reads leave it out, and it is easy to find and remove. */
export const LOADTEST_PREFIX = "loadtest";

export async function fetchPage(where: WorkspaceUrl, user: SignedInUser, path: string): Promise<string> {
  const answer = await fetch(`${where.origin}${where.base}${path}`, {
    headers: { cookie: user.cookie },
    redirect: "manual",
  });
  const text = await answer.text();
  if (answer.status !== 200) throw new LoadtestError(`${where.base}${path} answered ${answer.status}`);
  return text;
}

/** Each record link's id and text on a list page (`<a href="/t/x/contacts/12">Name</a>`). */
function recordLinks(page: string, where: WorkspaceUrl, kind: string): { id: string; name: string }[] {
  const pattern = new RegExp(`<a href="${where.base}/${kind}/(\\d+)">([^<]*)</a>`, "g");
  return [...page.matchAll(pattern)].map((m) => ({ id: m[1] as string, name: m[2] as string }));
}

/** The workspace's own records of a kind (not a load test's), newest and oldest, up to 100 ids. */
async function recordIds(where: WorkspaceUrl, user: SignedInUser, kind: string) {
  const pages = await Promise.all([
    fetchPage(where, user, `/${kind}`),
    fetchPage(where, user, `/${kind}?sort=createdAt&order=asc`),
  ]);
  const links = pages.flatMap((page) => recordLinks(page, where, kind));
  const own = links.filter((l) => !l.name.startsWith(LOADTEST_PREFIX));
  return [...new Map(own.map((l) => [l.id, l])).values()];
}

export async function discoverWorkspace(where: WorkspaceUrl, user: SignedInUser): Promise<WorkspaceIds> {
  const [contacts, companies, deals, board, segmentsPage] = await Promise.all([
    recordIds(where, user, "contacts"),
    recordIds(where, user, "companies"),
    recordIds(where, user, "deals"),
    fetchPage(where, user, "/deals/board"),
    fetchPage(where, user, "/segments"),
  ]);
  const openStages = [...board.matchAll(/class="column kind-open" data-stage-id="(\d+)"/g)].map(
    (m) => m[1] as string,
  );
  const segments = [...new Set(recordLinks(segmentsPage, where, "segments").map((l) => l.id))];
  const terms = [
    ...new Set(
      contacts.map((c) => c.name.split(" ")[0]?.toLowerCase() ?? "").filter((w) => /^[a-z]{3,}$/.test(w)),
    ),
  ];
  const missing = [
    ["contacts", contacts.length],
    ["companies", companies.length],
    ["deals", deals.length],
    ["open pipeline stages", openStages.length],
    ["searchable names", terms.length],
  ].filter(([, n]) => n === 0);
  if (missing.length)
    throw new LoadtestError(
      `workspace "${where.slug}" has no ${missing.map(([what]) => what).join(", ")} to load-test with (seed it: crm seed --tenant ${where.slug} --contacts 1000)`,
    );
  return {
    contacts: contacts.map((c) => c.id),
    companies: companies.map((c) => c.id),
    deals: deals.map((d) => d.id),
    openStages,
    segments,
    terms: terms.slice(0, 40),
  };
}
