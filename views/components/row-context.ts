/** What every list row needs besides its record. */
export interface RowContext {
  /** The workspace's URL prefix, `/t/<slug>`. */
  base: string;
  nonce: string;
  /** Whether the viewer may edit (members and up). */
  canWrite: boolean;
}
