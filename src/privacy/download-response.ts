import type { Context } from "hono";
import type { FileDownload } from "./file-download.ts";

/** Headers of a download. File names are built from slugs, ids and dates only: nothing to escape. */
export function attachment(filename: string, contentType: string, size?: number): Record<string, string> {
  return {
    "Content-Type": contentType,
    "Content-Disposition": `attachment; filename="${filename}"`,
    ...(size === undefined ? {} : { "Content-Length": String(size) }),
  };
}

/** Today as YYYY-MM-DD (UTC), for file names. */
export const today = () => new Date().toISOString().slice(0, 10);

/** A file streamed as an attachment named `filename`. */
export function fileResponse(
  c: Context,
  file: FileDownload,
  filename: string,
  contentType: string,
): Response {
  return c.body(file.stream, 200, attachment(filename, contentType, file.size));
}
