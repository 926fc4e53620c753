import type { CustomColumns } from "../../src/custom-fields/custom-columns.ts";

/** What every list row needs besides its record. */
export interface RowContext {
  /** The workspace's URL prefix, `/t/<slug>`. */
  base: string;
  nonce: string;
  /** Whether the viewer may edit (members and up). */
  canWrite: boolean;
  /** The workspace's locale, for amounts (Settings → Workspace); en-US when not given. */
  locale?: string;
  /** The custom fields shown as columns, with the rows' values (none: no custom columns). */
  custom?: CustomColumns;
}
