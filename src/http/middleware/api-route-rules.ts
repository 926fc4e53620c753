import type { MiddlewareHandler } from "hono";
import { BadRequestError } from "../../core/errors.ts";
import { problemResponse } from "../problem.ts";

/** A route as Hono lists it (`app.routes`): middleware is listed with the method ALL. */
export interface ListedRoute {
  method: string;
  path: string;
}

interface PathRule {
  pattern: RegExp;
  methods: Set<string>;
  /** An item (`…/:id`, one record) or a path outside a workspace (the document): no query parameter at all. */
  noQuery: boolean;
}

/** One path's methods: `:name` (with or without a `{regex}`) matches one segment; a trailing slash is dropped. */
function pathRules(routes: readonly ListedRoute[]): PathRule[] {
  const byPath = new Map<string, PathRule>();
  for (const { method, path } of routes) {
    if (method === "ALL") continue;
    const clean = path.replace(/\/+$/, "") || "/";
    let rule = byPath.get(clean);
    if (!rule) {
      const source = clean
        .split("/")
        .map((part) => (part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
        .join("/");
      const noQuery = /\/:[^/]+$/.test(clean) || !clean.startsWith("/t/");
      rule = { pattern: new RegExp(`^${source}/?$`), methods: new Set(), noQuery };
      byPath.set(clean, rule);
    }
    rule.methods.add(method);
    if (method === "GET") rule.methods.add("HEAD");
  }
  return [...byPath.values()];
}

/**
 * The names of a URL's query parameters, in order, repeats kept, decoded as URLSearchParams
 * decodes them (`%6cimit` is `limit`): read from the raw query string, because the router's
 * parsed query leaves out a parameter with an empty name (`?=1`), which would then pass unseen.
 */
function queryNames(url: string): string[] {
  const start = url.indexOf("?");
  return start < 0 ? [] : [...new URLSearchParams(url.slice(start + 1)).keys()];
}

/**
 * The API's one rule for the request line, before its key is checked or its workspace opened
 * (the routes are public: the OpenAPI document lists them):
 * - a path the API has, asked with a method it does not take: 405 with `Allow` (problem+json),
 *   where a path it does not have stays a 404;
 * - a query parameter given twice, or one with no name (`?=1`): 400 naming it (no route reads
 *   only the first, and none has a nameless one);
 * - a query parameter on a route that takes none (every write, every item `…/:id`, the
 *   OpenAPI document): 400 naming it. Lists, search, reports and a segment's members check theirs against their own
 *   allow-list (parseListParams), with the same 400.
 * `routes` is read once, at the first request, when every route is registered. `prefix` is
 * where the routes are mounted (`/api/v1`).
 */
export function apiRouteRules(prefix: string, routes: () => readonly ListedRoute[]): MiddlewareHandler {
  let rules: PathRule[] | undefined;
  return async function apiRouteRules(c, next) {
    rules ??= pathRules(routes());
    const path = c.req.path.startsWith(prefix) ? c.req.path.slice(prefix.length) : c.req.path;
    const matching = rules.filter((rule) => rule.pattern.test(path));
    if (matching.length > 0 && !matching.some((rule) => rule.methods.has(c.req.method))) {
      const allow = [...new Set(matching.flatMap((rule) => [...rule.methods]))].sort().join(", ");
      return problemResponse(
        {
          status: 405,
          title: "Method Not Allowed",
          detail: `${c.req.method} is not a method of this path; it takes ${allow}`,
        },
        { Allow: allow },
      );
    }
    const names = queryNames(c.req.url);
    const seen = new Set<string>();
    const repeated = names.find((name) => seen.has(name) || !seen.add(name));
    if (repeated !== undefined)
      throw new BadRequestError(`"${repeated}" is given more than once; send each parameter once`, repeated);
    if (seen.has("")) throw new BadRequestError("a query parameter has no name (`?=…`)", "");
    const write = c.req.method !== "GET" && c.req.method !== "HEAD";
    const none = matching.some((rule) => rule.noQuery);
    const [unknown] = names;
    if (unknown !== undefined && (write || none))
      throw new BadRequestError(`"${unknown}" is not a parameter of this route`, unknown);
    await next();
  };
}
