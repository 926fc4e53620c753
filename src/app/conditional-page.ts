import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { SESSION_COOKIE } from "../auth/session-middleware.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { viewerTimeZone } from "../http/viewer-time-zone.ts";

/** Stored by the browser, and asked about again before every use. */
const CACHE_CONTROL = "private, no-cache";

/**
 * A page's ETag, from what the page is a function of rather than from its body, so that a
 * revalidation that matches costs no query and no rendering: the workspace's content (the
 * shard's version: any write, by this process or another, moves it; and its name, kept in the
 * catalog), the open connection that version belongs to, the viewer's session (their rights, and the CSRF token the page holds),
 * the time zone and the minute (pages say "today" and "overdue"), and the URL. Weak: the same
 * tag for every encoding of the page. None for htmx requests (a fragment of the same URL) and
 * for anyone not signed in.
 */
function pageTag(c: Context<ViewerEnv>, deps: AppDeps): string | undefined {
  if (c.req.method !== "GET" && c.req.method !== "HEAD") return undefined;
  if (c.var.viewer?.kind !== "user" || c.req.header("hx-request") !== undefined) return undefined;
  const shard = c.var.shard;
  const parts = [
    shard.connectionId,
    shard.version(),
    // The workspace's name is in the catalog, not in its file.
    c.var.tenant.name,
    getCookie(c, SESSION_COOKIE) ?? "",
    viewerTimeZone(c),
    Math.floor(deps.now() / 60_000),
    c.req.url,
  ];
  return `W/"${Bun.hash(parts.join("\n")).toString(36)}"`;
}

/**
 * Whether If-None-Match names `tag` (weak comparison, as RFC 9110 asks for If-None-Match). `*`
 * never does: it means "if the page exists", which only the handler knows (a record may be gone,
 * the viewer refused), and no browser sends it.
 */
function named(ifNoneMatch: string | undefined, tag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = tag.slice(2);
  return ifNoneMatch.split(",").some((t) => {
    const candidate = t.trim();
    return (candidate.startsWith("W/") ? candidate.slice(2) : candidate) === opaque;
  });
}

/**
 * Conditional GETs for the pages people reload and come back to (lists, boards, record pages,
 * tasks): a 200 carries the page's tag and may be stored privately; a request naming the tag
 * gets 304 before the handler runs. The 304 carries no Content-Security-Policy (see
 * securityHeaders): the browser keeps the stored one, whose nonce is the stored page's.
 * Only a whole page of HTML that sets no cookie is tagged.
 */
export function conditionalPage(deps: AppDeps): MiddlewareHandler<ViewerEnv> {
  return async function conditionalPage(c, next) {
    const tag = pageTag(c, deps);
    if (!tag) return next();
    if (named(c.req.header("if-none-match"), tag)) {
      // The 304's Vary is the 200's: compression adds Accept-Encoding to a page it may encode.
      return c.body(null, 304, {
        ETag: tag,
        "Cache-Control": CACHE_CONTROL,
        Vary: "HX-Request, Accept-Encoding",
      });
    }
    await next();
    const headers = c.res.headers;
    if (
      c.res.status !== 200 ||
      !headers.get("content-type")?.startsWith("text/html") ||
      headers.has("set-cookie")
    )
      return;
    headers.set("ETag", tag);
    headers.set("Cache-Control", CACHE_CONTROL);
    headers.append("Vary", "HX-Request");
  };
}
