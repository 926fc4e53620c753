import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { createApp } from "../src/app/create-app.ts";
import { createDeps } from "../src/app/start-server.ts";
import { type RouteRow, routeTable } from "../src/cli/route-table.ts";
import { loadConfig } from "../src/core/config.ts";
import { Logger } from "../src/core/logger.ts";
import type { Role } from "../src/identity/roles.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, signIn } from "./support/workspace.ts";

/**
 * What `crm routes` says each route demands is what the server does: every route whose guard
 * names a role (member, admin, owner) refuses the role just below it with a 403 before
 * anything runs (an API call's malformed body is not even read), and does not refuse that
 * role itself. The table is read from the real app,
 * so a new guarded route is tried the day it is added.
 */
const SLUG = "guards";
const BELOW: Record<string, Role> = { member: "read-only", admin: "member", owner: "admin" };
const NO_SUCH_ID = "999999999";

let server: TestServer;
const dir = tempDir();
const keys = new Map<Role, string>();
const clients = new Map<Role, BrowserClient>();
let table: RouteRow[];

beforeAll(async () => {
  const data = new DataDir(dir.path);
  await data.tenant(SLUG, "owner@guards.test");
  for (const role of ["admin", "member", "read-only"] as const)
    await data.user(SLUG, `${role}@guards.test`, role);
  for (const role of ["owner", "admin", "member", "read-only"] as const)
    keys.set(role, await data.apiKey(SLUG, role));
  data.close();

  const routesDir = tempDir();
  const deps = createDeps(
    loadConfig({}, { dataDir: routesDir.path }),
    new Logger({ write() {}, flush() {} }),
  );
  try {
    table = routeTable(createApp(deps));
  } finally {
    deps.shards.closeAll();
    deps.catalog.close();
    routesDir.remove();
  }

  server = await startServer({ dataDir: dir.path });
  for (const role of ["owner", "admin", "member", "read-only"] as const)
    clients.set(role, await signIn(server.url, SLUG, `${role}@guards.test`));
}, 60_000);

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

/** The role a route's guard names, if any: "session + admin" → admin; writes-only member guards count only for writes. */
function demandedRole(row: RouteRow): string | undefined {
  return /\+ (member|admin|owner)$/.exec(row.guard)?.[1];
}

/** A request path for a route: the workspace, ids that exist nowhere, a kind for `:kind`. */
function concrete(path: string): string {
  return path
    .replace(":tenant", SLUG)
    .replace(":kind", "contacts")
    .replace(":type", "contact")
    .replace(/:[A-Za-z]+/g, NO_SUCH_ID);
}

async function call(row: RouteRow, role: Role): Promise<number> {
  const path = concrete(row.path);
  if (path.startsWith("/api/")) {
    const response = await fetch(`${server.url}${path}`, {
      method: row.method,
      headers: { authorization: `Bearer ${keys.get(role)}`, "content-type": "application/json" },
      // Malformed on purpose: a guard that runs first answers 403; one that let the body be read, 400.
      body: row.method === "GET" || row.method === "DELETE" ? undefined : "{bad",
    });
    await response.arrayBuffer();
    return response.status;
  }
  const client = clients.get(role) as BrowserClient;
  if (row.method === "GET") return (await client.get(path)).status;
  // A page's write, with the session's real CSRF token, so only the role can refuse it.
  return (await client.post(path.replace(/^\/t\/[^/]+/, `/t/${SLUG}`), {})).status;
}

describe("the route table's guards are the server's", () => {
  it("every route that names a role answers 403 to the role below it and not to that role", async () => {
    const guarded = table.filter((row) => demandedRole(row));
    // Admin and owner guards on pages and the API, member guards on writes: a table that lost them fails here.
    expect(guarded.filter((r) => demandedRole(r) === "admin").length).toBeGreaterThanOrEqual(20);
    expect(guarded.filter((r) => demandedRole(r) === "owner").length).toBeGreaterThanOrEqual(2);
    expect(guarded.filter((r) => demandedRole(r) === "member").length).toBeGreaterThanOrEqual(30);
    const wrong: string[] = [];
    for (const row of guarded) {
      const role = demandedRole(row) as string;
      const below = await call(row, BELOW[role] as Role);
      if (below !== 403) wrong.push(`${row.method} ${row.path} as ${BELOW[role]}: ${below}, expected 403`);
      const at = await call(row, role as Role);
      if (at === 403)
        wrong.push(`${row.method} ${row.path} as ${role}: 403, expected the route to let it through`);
    }
    expect(wrong).toEqual([]);
  }, 120_000);
});
