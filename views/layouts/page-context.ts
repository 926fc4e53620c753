import type { RecordPlural } from "../../src/core/record-types.ts";
/** URLs of the static assets, with their cache-busting hashes. */
export interface AssetUrls {
  css: string;
  htmx: string;
  hxCsp: string;
  app: string;
  icon: string;
}

/** What every page needs from the request around it. Views get it as a prop; they never reach for it. */
export interface PageContext {
  nonce: string;
  csrfToken: string;
  assets: AssetUrls;
  workspace?: { slug: string; name: string };
  viewer?: { name: string; role: string };
  /** The viewer's open tasks due by the end of today (the nav's reminder badge). */
  dueTasks?: number;
}

export type NavKey = RecordPlural | "segments" | "tasks" | "reports" | "settings";
