import { describe, expect, it } from "bun:test";
import type { Server } from "bun";
import { takeTurns, workspaceOf } from "./take-turns.ts";

const SERVER = {} as Server<undefined>;
const get = (path: string) => new Request(`http://127.0.0.1:3000${path}`);

describe("takeTurns", () => {
  it("finds the workspace of pages and API paths, and none elsewhere", () => {
    expect(workspaceOf("http://h:1/t/acme/contacts?q=1")).toBe("acme");
    expect(workspaceOf("http://h:1/t/acme")).toBe("acme");
    expect(workspaceOf("http://h:1/t/acme?x=/t/other")).toBe("acme");
    expect(workspaceOf("http://h:1/api/v1/t/acme/contacts/1")).toBe("acme");
    expect(workspaceOf("http://h:1/signup")).toBe("");
    expect(workspaceOf("http://h:1/assets/t/x.css")).toBe("");
    expect(workspaceOf("http://h:1/tx/acme")).toBe("");
  });

  it("serves a workspace with one request waiting before the 50 another one queued first", async () => {
    const order: string[] = [];
    const fetch = takeTurns((request) => {
      order.push(new URL(request.url).pathname);
      return new Response("ok");
    });
    const answers = [
      ...Array.from({ length: 50 }, (_, i) => fetch(get(`/t/loud/contacts/${i}`), SERVER)),
      fetch(get("/t/calm/contacts"), SERVER),
      fetch(get("/signup"), SERVER),
    ];
    expect(order).toEqual([]); // nothing runs in the call itself: each waits its turn
    const statuses = await Promise.all(answers.map(async (a) => (await a).status));
    expect(statuses).toEqual(Array(52).fill(200));
    expect(order).toHaveLength(52);
    expect(order.slice(0, 3)).toEqual(["/t/loud/contacts/0", "/t/calm/contacts", "/signup"]);
    // The loud workspace's own requests keep their order.
    expect(order.filter((p) => p.startsWith("/t/loud/"))).toEqual(
      Array.from({ length: 50 }, (_, i) => `/t/loud/contacts/${i}`),
    );
  });

  it("goes back to the sockets once a slice is used, and serves the rest after", async () => {
    let started = 0;
    const fetch = takeTurns(() => {
      started++;
      const until = performance.now() + 2;
      while (performance.now() < until) {}
      return new Response("ok");
    }, 1);
    const answers = Array.from({ length: 5 }, (_, i) => fetch(get(`/t/w${i}/x`), SERVER));
    // A macrotask queued now runs before the backlog is through: the slice (1 ms) ended after one request.
    const atTimer = await new Promise<number>((resolve) => setImmediate(() => resolve(started)));
    expect(atTimer).toBeLessThan(5);
    await Promise.all(answers);
    expect(started).toBe(5);
  });

  it("passes a refusal of the app through to its request", async () => {
    const fetch = takeTurns(() => {
      throw new Error("broken");
    });
    await expect(Promise.resolve(fetch(get("/t/a/x"), SERVER))).rejects.toThrow("broken");
    const ok = takeTurns(() => new Response("fine"));
    expect(await (await ok(get("/t/a/x"), SERVER)).text()).toBe("fine");
  });
});
