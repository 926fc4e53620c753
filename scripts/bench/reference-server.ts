export {};

/**
 * The references a benchmark is measured against, in their own process like the real server:
 * `fixed` answers a short fixed string (what Bun.serve itself costs); `file` answers the bytes
 * of a file (a pre-rendered page: the transport limit for a page of that size).
 * Usage: bun scripts/bench/reference-server.ts fixed|file [path]  (prints its port)
 */
const [mode, path] = process.argv.slice(2);
const body =
  mode === "file" && path ? await Bun.file(path).bytes() : new TextEncoder().encode("Hello, World!");
const type = mode === "file" ? "text/html; charset=utf-8" : "text/plain";
const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: () => new Response(body, { headers: { "Content-Type": type } }),
});
console.log(server.port);
