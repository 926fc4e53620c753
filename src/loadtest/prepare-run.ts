import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { discoverWorkspace, LOADTEST_PREFIX, type WorkspaceIds } from "./discover-workspace.ts";
import { LoadtestError } from "./loadtest-error.ts";
import { luaLiteral } from "./lua-literal.ts";
import { type SignedInUser, signIn, signOut } from "./sign-in.ts";
import type { WorkspaceUrl } from "./workspace-url.ts";

export interface Credentials {
  email: string;
  password: string;
}

export interface Preparation {
  /** The Lua data file the scenario scripts load (in a fresh temp dir). */
  dataFile: string;
  users: SignedInUser[];
  ids: WorkspaceIds;
  /** The records made for the run's edits and moves ("loadtest …"), per writing user. */
  pool: { contacts: string[]; deals: string[] };
  /** What names this run's records: `loadtest <run>-…`. */
  run: string;
}

/** Contacts and deals each writing user adds before the run, so edits and moves have targets from the first request. */
const POOL_PER_WRITER = 2;

async function postForm(
  where: WorkspaceUrl,
  user: SignedInUser,
  path: string,
  fields: Record<string, string>,
): Promise<string> {
  const answer = await fetch(`${where.origin}${where.base}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: user.cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: user.csrf, ...fields }),
  });
  await answer.arrayBuffer();
  const id = /\/(\d+)$/.exec(answer.headers.get("location") ?? "")?.[1];
  if (answer.status !== 303 || !id)
    throw new LoadtestError(
      `preparing the run: ${where.base}${path} as ${user.email} answered ${answer.status}`,
    );
  return id;
}

/** A segment for the run_segment action when the workspace has none: people tagged "vip". */
async function makeSegment(where: WorkspaceUrl, user: SignedInUser): Promise<string> {
  return postForm(where, user, "/segments", {
    name: `${LOADTEST_PREFIX} segment: tagged vip`,
    match: "all",
    "rules.0.field": "tags",
    "rules.0.op": "contains",
    "rules.0.value": "vip",
    intent: "save",
  });
}

/**
 * Everything wrk needs before the first request: each user signed in (one after the other: a
 * sign-in costs an argon2 hash), the workspace's ids read from its pages, and when the scenario
 * (its actions) edits and moves, a few records of the run's own to edit and move, and when it
 * runs segments, a saved segment if there is none; written as a Lua file (mode 0600, in a
 * folder only its owner opens). When any of it fails, every session it opened is signed out.
 * `opened` receives each session as it opens (so an interrupt can sign them out too).
 */
export async function prepareRun(
  where: WorkspaceUrl,
  credentials: Credentials[],
  scenarioActions: Set<string>,
  opened: SignedInUser[] = [],
): Promise<Preparation> {
  try {
    return await prepare(where, credentials, scenarioActions, opened);
  } catch (error) {
    await Promise.allSettled(opened.map((u) => signOut(where.origin, where.slug, u)));
    throw error;
  }
}

async function prepare(
  where: WorkspaceUrl,
  credentials: Credentials[],
  scenarioActions: Set<string>,
  users: SignedInUser[],
): Promise<Preparation> {
  for (const c of credentials) users.push(await signIn(where.origin, where.slug, c.email, c.password));
  const reader = users[0] as SignedInUser;
  const ids = await discoverWorkspace(where, reader);
  const run = Date.now().toString(36);
  const pool = { contacts: [] as string[], deals: [] as string[] };
  // A read-only scenario writes nothing, not even its preparation's records.
  const writes = scenarioActions.has("edit_contact") || scenarioActions.has("move_deal");
  const writers = writes ? users.filter((u) => u.canWrite) : [];
  for (const [w, writer] of writers.entries()) {
    for (let i = 0; i < POOL_PER_WRITER; i++) {
      const name = `${run}-pool-${w}-${i}`;
      pool.contacts.push(
        await postForm(where, writer, "/contacts", {
          firstName: LOADTEST_PREFIX,
          lastName: name,
          tags: LOADTEST_PREFIX,
        }),
      );
      pool.deals.push(
        await postForm(where, writer, "/deals", {
          title: `${LOADTEST_PREFIX} deal ${name}`,
          stageId: ids.openStages[0] as string,
          currency: "USD",
          tags: LOADTEST_PREFIX,
        }),
      );
    }
  }
  if (scenarioActions.has("run_segment") && ids.segments.length === 0 && writers[0])
    ids.segments.push(await makeSegment(where, writers[0]));
  const dataFile = join(mkdtempSync(join(tmpdir(), "crm-loadtest-run-")), "data.lua");
  const data = {
    base: where.base,
    run,
    seed: Number.parseInt(run.slice(-6), 36),
    users: users.map((u) => ({ cookie: u.cookie, csrf: u.csrf, canWrite: u.canWrite })),
    ...ids,
    ownContacts: pool.contacts,
    ownDeals: pool.deals,
  };
  writeFileSync(dataFile, `-- written by crm loadtest for one run\nreturn ${luaLiteral(data)}\n`, {
    mode: 0o600,
  });
  return { dataFile, users, ids, pool, run };
}
