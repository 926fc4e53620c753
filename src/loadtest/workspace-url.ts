import { LoadtestError } from "./loadtest-error.ts";

/** Where a load test goes: the server's origin and the workspace's slug, from `--url`. */
export interface WorkspaceUrl {
  origin: string;
  slug: string;
  /** `/t/<slug>`: every page path starts with it. */
  base: string;
}

/** Reads `http://host:port/t/<slug>[/…]`; anything else is refused naming the expected shape. */
export function parseWorkspaceUrl(text: string): WorkspaceUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new LoadtestError(`--url "${text}" is not a URL (expected http://host:port/t/<workspace>)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new LoadtestError(`--url "${text}" must start with http:// or https://`);
  const slug = /^\/t\/([a-z0-9-]+)(\/.*)?$/.exec(url.pathname)?.[1];
  if (!slug)
    throw new LoadtestError(`--url "${text}" names no workspace (expected http://host:port/t/<workspace>)`);
  return { origin: url.origin, slug, base: `/t/${slug}` };
}
