import type { Context } from "hono";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { dropDownloadSlot, newDownloadSlot } from "../privacy/download-files.ts";
import { fileResponse, today } from "../privacy/download-response.ts";
import { temporaryFileDownload } from "../privacy/file-download.ts";
import { segmentCsv } from "./run-segment.ts";
import { runFor } from "./segment-page-props.ts";
import { type SegmentRecord, segmentRules } from "./segments.ts";

/**
 * A segment's members as CSV, as the lists export theirs (exports/routes.ts): a worker writes
 * the file (the contacts list's columns and custom fields, RFC 4180, formulas neutralised,
 * `bom=1` for Excel) from one snapshot into a private download directory, and the response
 * streams it from the disk; it is gone before the first byte leaves. Rules that no longer fit
 * the workspace are a 422 naming the rule.
 */
export async function segmentCsvResponse(c: Context<ViewerEnv>, deps: AppDeps, segment: SegmentRecord) {
  const rules = segmentRules(c.var.shard, segment);
  const tenant = c.var.tenant;
  const fileName = `${tenant.slug}-segment-${segment.id}-${today()}.csv`;
  const slot = await newDownloadSlot(deps.config.dataDir, tenant.id, fileName);
  try {
    await segmentCsv(runFor(c, deps), rules.checked, slot.path, c.req.query("bom") === "1");
  } catch (error) {
    await dropDownloadSlot(slot.dir);
    throw error;
  }
  const file = await temporaryFileDownload(slot.path, slot.dir);
  return fileResponse(c, file, fileName, "text/csv; charset=utf-8");
}
