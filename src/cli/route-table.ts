import type { Env, Hono } from "hono";
import { inspectRoutes } from "hono/dev";

export interface RouteRow {
  method: string;
  path: string;
  /** Who may call it: "public", or the guards it passes joined by " + " ("session + member"). */
  guard: string;
}

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * The middleware that decide who may pass, by function name (what hono/dev's inspectRoutes
 * reports), with the role they demand. writesNeedMember only guards writes.
 */
const GUARDS: Record<string, { label: string; role?: number; writesOnly?: boolean }> = {
  requireSignedIn: { label: "session" },
  apiKeyAuth: { label: "api key" },
  opsAccess: { label: "operator" },
  requireClusterSignature: { label: "cluster signature" },
  writesNeedMember: { label: "member", role: 1, writesOnly: true },
  memberOnly: { label: "member", role: 1 },
  adminOnly: { label: "admin", role: 2 },
  ownerOnly: { label: "owner", role: 3 },
};

/** A middleware path as a test of a route path: `:param` is one segment, a trailing `/*` also matches the path itself. */
function pathTest(pattern: string): RegExp {
  const wildcard = pattern.endsWith("/*");
  const segments = (wildcard ? pattern.slice(0, -2) : pattern).split("/").map((segment) => {
    if (segment.startsWith(":")) return "[^/]+";
    if (segment === "*") return ".*";
    return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  });
  return new RegExp(`^${segments.join("/")}${wildcard ? "(?:/.*)?" : ""}$`);
}

/** A route path as a request could spell it: each `:param` one plain segment. */
function samplePath(path: string): string {
  return path.replace(/:[^/]+/g, "_");
}

/**
 * Every route of `app` in the order it is registered, with its guard: the guarding middleware
 * registered before it whose path and method match it, as Hono would run them. Of the roles
 * (member, admin, owner) only the highest is named.
 */
export function routeTable<E extends Env>(app: Hono<E>): RouteRow[] {
  const entries = inspectRoutes(app).map((entry, index) => ({ ...entry, index }));
  const lastIndex = new Map<string, number>();
  for (const entry of entries) {
    if (entry.method !== "ALL") lastIndex.set(`${entry.method} ${entry.path}`, entry.index);
  }
  const tests = new Map<string, RegExp>();
  const rows: RouteRow[] = [];
  for (const [key, last] of lastIndex) {
    const [method = "", path = ""] = key.split(" ");
    const sample = samplePath(path);
    const labels: string[] = [];
    let role: { label: string; rank: number } | undefined;
    for (const entry of entries.slice(0, last + 1)) {
      const guard = GUARDS[entry.name];
      if (!guard || (entry.method !== "ALL" && entry.method !== method)) continue;
      if (guard.writesOnly && !UNSAFE_METHODS.has(method)) continue;
      let test = tests.get(entry.path);
      if (!test) {
        test = pathTest(entry.path);
        tests.set(entry.path, test);
      }
      if (!test.test(sample)) continue;
      if (guard.role === undefined) {
        if (!labels.includes(guard.label)) labels.push(guard.label);
      } else if (!role || guard.role > role.rank) {
        role = { label: guard.label, rank: guard.role };
      }
    }
    if (role) labels.push(role.label);
    rows.push({ method, path, guard: labels.length ? labels.join(" + ") : "public" });
  }
  return rows.sort(
    (a, b) => (lastIndex.get(`${a.method} ${a.path}`) ?? 0) - (lastIndex.get(`${b.method} ${b.path}`) ?? 0),
  );
}

/** The table as aligned text, one route a line under a header. */
export function formatRouteTable(rows: RouteRow[]): string {
  const methodWidth = Math.max(6, ...rows.map((r) => r.method.length));
  const pathWidth = Math.max(4, ...rows.map((r) => r.path.length));
  const line = (method: string, path: string, guard: string) =>
    `${method.padEnd(methodWidth)}  ${path.padEnd(pathWidth)}  ${guard}`;
  return [line("METHOD", "PATH", "GUARD"), ...rows.map((r) => line(r.method, r.path, r.guard))].join("\n");
}
