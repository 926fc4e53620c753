import type { Context } from "hono";
import type { RowContext } from "../../views/components/row-context.ts";
import type { PageContext } from "../../views/layouts/page-context.ts";
import { dayBounds } from "../core/time-zone.ts";
import { hasRole } from "../identity/roles.ts";
import type { Viewer } from "../identity/viewer.ts";
import type { AppDeps, AppEnv, TenantEnv } from "./app-env.ts";
import { csrfTokenFor } from "./middleware/csrf.ts";
import { viewerTimeZone } from "./viewer-time-zone.ts";

/** Everything a page's layout needs from this request (any route: with or without a tenant or a viewer). */
export function pageContext(c: Context, deps: AppDeps): PageContext {
  const vars = (c as Context<TenantEnv>).var as Partial<TenantEnv["Variables"]> & AppEnv["Variables"];
  const viewer: Viewer | undefined = vars.viewer;
  const tenant = vars.tenant;
  return {
    nonce: vars.nonce,
    csrfToken: csrfTokenFor(c as Context<AppEnv>, deps, viewer),
    assets: deps.assets.urls,
    workspace: tenant ? { slug: tenant.slug, name: tenant.name } : undefined,
    viewer: viewer?.kind === "user" ? { name: viewer.name, role: viewer.role } : undefined,
    dueTasks:
      viewer?.kind === "user" && vars.shard
        ? deps.countDueTasks(vars.shard, viewer.id, dayBounds(deps.now(), viewerTimeZone(c)).end)
        : undefined,
  };
}

export function rowContext(c: Context): RowContext {
  const vars = (c as Context<TenantEnv>).var;
  const viewer = vars.viewer;
  return {
    base: `/t/${vars.tenant.slug}`,
    nonce: vars.nonce,
    canWrite: viewer !== undefined && hasRole(viewer.role, "member"),
  };
}

/** An htmx request that wants a fragment (not a history restore, which wants the whole page). */
export function wantsFragment(c: Context): boolean {
  return c.req.header("hx-request") === "true" && c.req.header("hx-history-restore-request") !== "true";
}

/**
 * The submitted form's text fields (files are not accepted by these forms). A name sent
 * several times (a multi-select's checkboxes) keeps each distinct non-empty value, joined by
 * newlines. Empty and identical repeats are dropped: htmx sends the board's Move to… form
 * fields twice when its source holds the form, and two reasons joined ("\n") would be refused
 * as a control character.
 */
export async function formFields(c: Context): Promise<Record<string, string>> {
  const body = await c.req.parseBody({ all: true });
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) {
    const texts = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === "string");
    if (!texts.length) continue;
    const filled = [...new Set(texts.filter((text) => text !== ""))];
    fields[name] = filled.join("\n");
  }
  return fields;
}

/** A record id from the URL; anything but a positive integer is simply not found. */
export function idParam(c: Context, name = "id"): number {
  const raw = c.req.param(name) ?? "";
  const id = /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : Number.NaN;
  return Number.isSafeInteger(id) ? id : 0;
}

/** The CSRF token forms on this page carry (cheaper than a whole pageContext, for fragments). */
export function pageCsrfToken(c: Context, deps: AppDeps): string {
  const viewer = ((c as Context<TenantEnv>).var as Partial<TenantEnv["Variables"]>).viewer;
  return csrfTokenFor(c as Context<AppEnv>, deps, viewer);
}

/** The `changed` count a bulk change redirects back with (anything else: no notice). */
export function changedCount(param: string | undefined): number | undefined {
  return param && /^\d{1,6}$/.test(param) ? Number(param) : undefined;
}
