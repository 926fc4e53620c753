import type { Context } from "hono";
import { liveListCounts } from "../../views/records/record-results.ts";
import type { RecordView } from "../../views/records/record-view.ts";
import { BadRequestError } from "../core/errors.ts";
import type { ViewerEnv } from "../http/app-env.ts";
import { parseListParams } from "../lists/list-params.ts";
import type { KindRecord, RecordKind } from "./record-kind.ts";
import { listSummaryProps } from "./record-list-props.ts";

/**
 * The list's summary and empty line as they are after a row was added (quick add) or deleted
 * in place, as out-of-band swaps for the answer, counted with the filters of the list the
 * request came from (htmx names it in HX-Current-URL). Nothing when the request did not come
 * from this kind's list (its page then has no such count), or its filters no longer parse.
 */
export function liveListCountsFor<R extends KindRecord, P extends Record<string, unknown>, X>(
  c: Context<ViewerEnv>,
  kind: Pick<RecordKind<R, P>, "path" | "filters" | "count" | "listParams">,
  view: RecordView<R, X>,
): string {
  const current = c.req.header("hx-current-url");
  if (!current) return "";
  let url: URL;
  try {
    url = new URL(current);
  } catch {
    return "";
  }
  if (url.pathname !== `/t/${c.var.tenant.slug}/${kind.path}`) return "";
  let params: P;
  try {
    params = parseListParams(kind.listParams, Object.fromEntries(url.searchParams), false) as P;
  } catch (error) {
    if (error instanceof BadRequestError) return "";
    throw error;
  }
  return liveListCounts(view, listSummaryProps(c, kind, params)).value;
}
