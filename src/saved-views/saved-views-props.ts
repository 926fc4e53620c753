import type { Context } from "hono";
import type { SavedViewsBarProps, SaveViewFormProps } from "../../views/components/saved-views-bar.ts";
import type { ViewerEnv } from "../http/app-env.ts";
import { hasRole } from "../identity/roles.ts";
import { listViews } from "./saved-views.ts";
import { listQuery, type ViewList } from "./view-input.ts";

/** The saved-views bar of a list page (per viewer, so never inside the cached results). */
export function savedViewsBarProps(
  c: Context<ViewerEnv>,
  list: ViewList,
  values: Record<string, string | undefined>,
  csrfToken: string,
): SavedViewsBarProps {
  const base = `/t/${c.var.tenant.slug}`;
  const viewer = c.var.viewer;
  const query = listQuery(values);
  return {
    listHref: `${base}/${list}`,
    viewsHref: `${base}/views`,
    views: listViews(c.var.shard, viewer.id, list),
    current: `?${query}`,
    viewerId: viewer.id,
    isAdmin: hasRole(viewer.role, "admin"),
    csrfToken,
  };
}

/** The "save this view" form of a list's results (the same for every viewer with the same rights). */
export function saveViewFormProps(
  base: string,
  list: ViewList,
  values: Record<string, string | undefined>,
  csrfToken: string,
  canShare: boolean,
): SaveViewFormProps {
  return { viewsHref: `${base}/views`, list, query: listQuery(values), csrfToken, canShare };
}
