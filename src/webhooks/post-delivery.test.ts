import { afterAll, describe, expect, it } from "bun:test";
import { postDelivery } from "./post-delivery.ts";

const seen: { host: string | null; path: string; body: string }[] = [];
const receiver = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(request) {
    const path = new URL(request.url).pathname;
    seen.push({ host: request.headers.get("host"), path, body: await request.text() });
    if (path === "/moved") return new Response(null, { status: 302, headers: { location: "/elsewhere" } });
    if (path === "/hang") return new Promise<Response>(() => {});
    return new Response("ok");
  },
});

afterAll(() => receiver.stop(true));

/** A target whose name does not resolve at all (.invalid), pinned to the receiver's address. */
const pinned = (path: string) => ({
  url: new URL(`http://pinned.invalid:${receiver.port}${path}`),
  address: "127.0.0.1",
  family: 4 as const,
});

describe("postDelivery", () => {
  it("connects to the checked address without resolving the name again, and sends the name as Host", async () => {
    const result = await postDelivery(pinned("/in"), '{"a":1}', { "Content-Type": "application/json" }, 2000);
    expect(result).toMatchObject({ ok: true, statusCode: 200, error: null });
    expect(seen.at(-1)).toEqual({ host: `pinned.invalid:${receiver.port}`, path: "/in", body: '{"a":1}' });
  });

  it("does not follow a redirect", async () => {
    const before = seen.length;
    const result = await postDelivery(pinned("/moved"), "{}", {}, 2000);
    expect(result).toMatchObject({
      ok: false,
      statusCode: 302,
      error: "answered 302 (redirects are not followed)",
    });
    expect(seen.slice(before).map((s) => s.path)).toEqual(["/moved"]);
  });

  it("gives up at the timeout, and at once when stopped", async () => {
    const late = await postDelivery(pinned("/hang"), "{}", {}, 300);
    expect(late).toMatchObject({ ok: false, statusCode: null, error: "no answer within 300 ms" });
    expect(late.durationMs).toBeGreaterThanOrEqual(290);
    const stop = new AbortController();
    const pending = postDelivery(pinned("/hang"), "{}", {}, 5000, stop.signal);
    setTimeout(() => stop.abort(), 50);
    const stopped = await pending;
    expect(stopped.error).toContain("shutting down");
    expect(stopped.durationMs).toBeLessThan(1000);
  });

  it("reports a refused connection as a failed attempt", async () => {
    const result = await postDelivery(
      { ...pinned("/"), url: new URL("http://pinned.invalid:9/") },
      "{}",
      {},
      2000,
    );
    expect(result.ok).toBe(false);
    expect(result.statusCode).toBeNull();
    expect(result.error).toContain("ECONNREFUSED");
  });
});
