import type { CustomColumns } from "../../src/custom-fields/custom-columns.ts";

/** What every list row needs besides its record. */
export interface RowContext {
  /** The workspace's URL prefix, `/t/<slug>`. */
  base: string;
  nonce: string;
  /** Whether the viewer may edit (members and up). */
  canWrite: boolean;
  /** The custom fields shown as columns, with the rows' values (none: no custom columns). */
  custom?: CustomColumns;
}
