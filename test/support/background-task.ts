import type { BrowserClient } from "./browser-client.ts";

/** A background task's page as its starter reads it, once the task has finished. */
export interface FinishedTask {
  /** /t/<slug>/background/<id> */
  path: string;
  id: number;
  /** "Done.", "Failed." or "Cancelled." */
  status: string;
  /** The page's HTML (a fragment). */
  text: string;
  /** The links the outcome offers (hrefs), e.g. a download. */
  links: string[];
}

/** The id in a progress page's path (`/t/<slug>/background/<id>`), or an error naming what came instead. */
export function taskPath(location: string | null): { path: string; id: number } {
  const match = /^\/t\/[a-z0-9-]+\/background\/(\d+)$/.exec(location ?? "");
  if (!match) throw new Error(`not a background task's page: ${location}`);
  return { path: location as string, id: Number(match[1]) };
}

/**
 * Reads a background task's page (the fragment its own polling reads) until the task has
 * finished, as a person watching it would; fails after `ms` with what the page last said.
 */
export async function waitForTask(
  client: BrowserClient,
  location: string | null,
  ms = 60_000,
): Promise<FinishedTask> {
  const { path, id } = taskPath(location);
  const deadline = performance.now() + ms;
  for (;;) {
    const page = await client.get(path, { "hx-request": "true" });
    if (page.status !== 200) throw new Error(`${path}: ${page.status}`);
    const status = /<p class="status status-\w+">(Done\.|Failed\.|Cancelled\.)/.exec(page.text)?.[1];
    if (status) {
      const links = [...page.text.matchAll(/<a class="button" href="([^"]+)">/g)].map((m) =>
        (m[1] as string).replaceAll("&amp;", "&"),
      );
      return { path, id, status, text: page.text, links };
    }
    if (performance.now() > deadline) throw new Error(`${path} has not finished:\n${page.text}`);
    await Bun.sleep(25);
  }
}
