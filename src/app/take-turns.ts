import type { ServeFetch } from "./retry-when-busy.ts";

/** How long the server's thread starts requests for before it looks at its sockets again. */
const SLICE_MS = 5;

/** The workspace a request is for (`/t/<slug>/…`, `/api/v1/t/<slug>/…`), or "" for the rest. */
export function workspaceOf(url: string): string {
  const path = url.indexOf("/", url.indexOf("//") + 2);
  if (path < 0) return "";
  const start = url.startsWith("/t/", path) ? path + 3 : url.startsWith("/api/v1/t/", path) ? path + 10 : -1;
  if (start < 0) return "";
  let end = start;
  while (end < url.length && url[end] !== "/" && url[end] !== "?") end++;
  return url.slice(start, end);
}

/**
 * Requests take turns on the server's thread, one workspace after another. Bun hands the app
 * every request its sockets delivered at once: with 512 connections loading pages, that is
 * hundreds of pages (~0.5 s of work) before it reads a socket again, so a health probe or
 * another workspace's page waited behind all of them. Here a request only joins its
 * workspace's line when it arrives; the lines are served in rotation (a workspace with many
 * requests waiting gets one turn in each round, like any other) for SLICE_MS at a time, and
 * then the thread goes back to its sockets (a macrotask), so what arrived meanwhile (a probe
 * answered before the app, another workspace's request) does not wait for the whole backlog.
 */
export function takeTurns(fetch: ServeFetch, sliceMs = SLICE_MS): ServeFetch {
  /** Waiting requests by workspace; the map's order is the rotation (a served line goes to its end). */
  const lines = new Map<string, (() => void)[]>();
  let scheduled = false;

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(serve);
  };

  function serve() {
    scheduled = false;
    const until = performance.now() + sliceMs;
    // One request at a time: each starts in the microtasks right after its release, before the next.
    const next = () => {
      const first = lines.entries().next();
      if (first.done) return;
      const [workspace, line] = first.value;
      const release = line.shift();
      lines.delete(workspace);
      if (line.length) lines.set(workspace, line);
      release?.();
      if (lines.size === 0) return;
      if (performance.now() < until) queueMicrotask(next);
      else schedule();
    };
    next();
  }

  return function takeTurns(request, server) {
    const workspace = workspaceOf(request.url);
    return new Promise<void>((resolve) => {
      const line = lines.get(workspace);
      if (line) line.push(resolve);
      else lines.set(workspace, [resolve]);
      schedule();
    }).then(() => fetch(request, server));
  };
}
