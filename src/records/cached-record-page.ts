import type { Context } from "hono";
import type { RowContext } from "../../views/components/row-context.ts";
import type { PageContext } from "../../views/layouts/page-context.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { pageContext, pageCsrfToken, rowContext } from "../http/page-context.ts";
import { viewerTimeZone } from "../http/viewer-time-zone.ts";
import { type RequestSecrets, renderList } from "../lists/render-cache.ts";
import { workspaceLocale } from "../settings/workspace-money.ts";

/** What a record page's render is given: the secrets to write, the minute it is for, the layout's and the rows' context. */
export interface RecordPageRender {
  secrets: RequestSecrets;
  /** The start of the current minute: what tasks are overdue by and what "N days ago" counts from. */
  now: number;
  ctx: PageContext;
  row: RowContext;
}

/**
 * A record's page (a contact's, a company's, a deal's) through the render cache, like the
 * lists: per record, viewer, role, time zone, minute (a task turns overdue with the clock, not
 * with a write), timeline view and workspace name (kept in the catalog, not the file), and
 * rebuilt after any write to the workspace. The render writes the secrets it is given (the
 * cached copy holds placeholders; each answer gets its own nonce and masked token).
 */
export function cachedRecordPage(
  c: Context<ViewerEnv>,
  deps: AppDeps,
  name: string,
  id: number,
  render: (page: RecordPageRender) => string,
): string {
  const viewer = c.var.viewer;
  const minute = Math.floor(deps.now() / 60_000);
  const key = JSON.stringify([
    id,
    viewer.id,
    viewer.role,
    viewerTimeZone(c),
    minute,
    c.req.query("view") === "history",
    c.var.tenant.name,
  ]);
  const secrets = { nonce: c.var.nonce, csrfToken: pageCsrfToken(c, deps) };
  return renderList(
    c.var.shard,
    deps.config.renderCache,
    name,
    key,
    secrets,
    (written) =>
      render({
        secrets: written,
        now: minute * 60_000,
        ctx: { ...pageContext(c, deps), ...written },
        row: { ...rowContext(c), nonce: written.nonce, locale: workspaceLocale(c.var.shard) },
      }),
    256,
  );
}
