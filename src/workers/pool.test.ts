import { afterEach, describe, expect, it } from "bun:test";
import { getPriority } from "node:os";
import { RetryLaterError, ValidationError } from "../core/errors.ts";
import { TaskCancelledError, TaskTimeoutError, WorkerPool, type WorkerPoolOptions } from "./pool.ts";

const FIXTURE = new URL("../../test/support/pool-fixture-entry.ts", import.meta.url).href;
const INPUT = { tenantId: "t", slug: "t", file: "tenants/t.sqlite" };

let pool: WorkerPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

function makePool(options: Partial<WorkerPoolOptions> = {}): WorkerPool {
  pool = new WorkerPool({
    dataDir: "/nonexistent",
    threads: 1,
    maxQueue: 4,
    timeoutMs: 10_000,
    entry: FIXTURE,
    ...options,
  });
  return pool;
}

const run = <T>(p: WorkerPool, task: string, params: object = {}, options = {}) =>
  p.run<T>(task, { ...INPUT, params }, options);

/** The same run for workspace `tenantId`. */
const runFor = <T>(p: WorkerPool, tenantId: string, task: string, params: object = {}, options = {}) =>
  p.run<T>(task, { tenantId, slug: tenantId, file: `tenants/${tenantId}.sqlite`, params }, options);

/** Waits for `ready()` with a deadline (no fixed sleeps). */
async function until(ready: () => boolean, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!ready()) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("the worker pool (real piscina threads under Bun)", () => {
  it("runs a task off the server's thread and hands back what it returned", async () => {
    const p = makePool();
    const result = await run<{ value: unknown; threadId: number }>(p, "echo", { value: { a: [1, "two"] } });
    expect(result.value).toEqual({ a: [1, "two"] });
    expect(result.threadId).toBeGreaterThan(0);
  });

  it("runs its threads at a lower CPU priority than the server's thread, by the nice increment it is given", async () => {
    const server = getPriority();
    const lowered = await run<{ nice: number }>(makePool({ nice: 5 }), "priority", {});
    expect(lowered.nice).toBe(Math.min(19, server + 5));
    // The server's own thread keeps its priority.
    expect(getPriority()).toBe(server);
    await pool?.close();
    const even = await run<{ nice: number }>(makePool({ nice: 0 }), "priority", {});
    expect(even.nice).toBe(server);
  });

  it("keeps the event loop free while a task burns a whole core for 400 ms", async () => {
    const p = makePool();
    await run(p, "echo"); // the thread is up
    let worstLag = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      worstLag = Math.max(worstLag, now - last - 5);
      last = now;
    }, 5);
    const result = await run<{ n: number }>(p, "spin", { ms: 400 });
    clearInterval(timer);
    expect(result.n).toBeGreaterThan(0);
    // On the server's thread the same loop would have stalled it for 400 ms.
    expect(worstLag).toBeLessThan(100);
  });

  it("a task that throws fails alone; the next one runs", async () => {
    const p = makePool();
    await expect(run(p, "throw")).rejects.toThrow("the task failed");
    expect((await run<{ value: number }>(p, "echo", { value: 1 })).value).toBe(1);
    expect(p.stats().failed).toBe(1);
  });

  it("a task that kills its thread fails alone; the pool starts another thread and keeps serving", async () => {
    const p = makePool();
    const before = (await run<{ threadId: number }>(p, "echo")).threadId;
    await expect(run(p, "crash")).rejects.toThrow();
    const after = (await run<{ threadId: number }>(p, "echo")).threadId;
    expect(after).not.toBe(before);
  });

  it("a task that never returns is stopped at its time limit ('took too long'), and the pool keeps serving", async () => {
    const p = makePool();
    await run(p, "echo"); // the thread is up: starting one may take longer than the limit on a busy machine
    const started = performance.now();
    const hung = run(p, "hang", {}, { timeoutMs: 300 });
    await expect(hung).rejects.toBeInstanceOf(TaskTimeoutError);
    await expect(hung).rejects.toThrow("took too long");
    expect(performance.now() - started).toBeLessThan(3000);
    expect((await run<{ value: string }>(p, "echo", { value: "alive" })).value).toBe("alive");
    expect(p.stats().timedOut).toBe(1);
  });

  it("a run whose request went away is cancelled, even in the middle of a loop, and the thread is replaced", async () => {
    const p = makePool();
    const controller = new AbortController();
    const hung = run(p, "hang", {}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(hung).rejects.toBeInstanceOf(TaskCancelledError);
    expect((await run<{ value: number }>(p, "echo", { value: 2 })).value).toBe(2);
    expect(p.stats().cancelled).toBe(1);
  });

  it("a write (runToEnd) whose request went away once it runs finishes on the same thread; waiting, it leaves the line", async () => {
    const p = makePool();
    const controller = new AbortController();
    const write = run<{ threadId: number }>(
      p,
      "sleep",
      { ms: 300 },
      { signal: controller.signal, runToEnd: true },
    );
    await until(() => p.stats().running === 1);
    const waiting = new AbortController();
    const queued = run(p, "echo", { value: 1 }, { signal: waiting.signal, runToEnd: true });
    controller.abort();
    waiting.abort();
    await expect(queued).rejects.toBeInstanceOf(TaskCancelledError);
    // Not stopped: it ran to its end, and its thread is the one the next run gets.
    const { threadId } = await write;
    expect((await run<{ threadId: number }>(p, "echo", { value: 2 })).threadId).toBe(threadId);
    expect(p.stats()).toMatchObject({ completed: 2, cancelled: 1 });
  });

  it("bounds its queue: one run more than threads + queue is refused with 503 and Retry-After, then accepted again", async () => {
    const p = makePool({ threads: 1, maxQueue: 1 });
    const running = run(p, "sleep", { ms: 300 });
    const queued = run(p, "sleep", { ms: 10 });
    const refused = run(p, "echo");
    await expect(refused).rejects.toBeInstanceOf(RetryLaterError);
    await expect(refused).rejects.toMatchObject({ status: 503, retryAfterSeconds: 2 });
    await Promise.all([running, queued]);
    expect((await run<{ value: number }>(p, "echo", { value: 3 })).value).toBe(3);
    expect(p.stats().refused).toBe(1);
  });

  it("an error the server answers (a rule that names no field) arrives as that error, with its fields", async () => {
    const p = makePool();
    const refused = run(p, "refuse");
    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toMatchObject({
      status: 422,
      issues: [{ field: "rules.0.field", message: "is not a field of contacts" }],
    });
  });
});

describe("fairness between workspaces", () => {
  it("one workspace gets at most its share in flight: its next run is refused with 503 and Retry-After, another workspace's is not", async () => {
    const p = makePool({ threads: 1, maxQueue: 8, perWorkspace: 2 });
    const running = runFor(p, "a", "sleep", { ms: 300 });
    const queued = runFor(p, "a", "sleep", { ms: 10 });
    const refused = runFor(p, "a", "echo");
    await expect(refused).rejects.toBeInstanceOf(RetryLaterError);
    await expect(refused).rejects.toMatchObject({ status: 503, retryAfterSeconds: 2 });
    await expect(refused).rejects.toThrow("this workspace already has 2 heavy tasks running or waiting");
    // The pool is far from full: another workspace is let in while "a" waits.
    expect((await runFor<{ value: string }>(p, "b", "echo", { value: "b" })).value).toBe("b");
    expect(p.stats()).toMatchObject({ refused: 1, refusedWorkspace: 1 });
    await Promise.all([running, queued]);
    expect((await runFor<{ value: string }>(p, "a", "echo", { value: "a again" })).value).toBe("a again");
    expect(p.stats()).toMatchObject({ running: 0, queued: 0, workspaces: 0 });
  });

  it("runs that fail, time out or are cancelled give their workspace's share back", async () => {
    const p = makePool({ threads: 1, maxQueue: 8, perWorkspace: 1 });
    await expect(runFor(p, "a", "throw")).rejects.toThrow("the task failed");
    await expect(runFor(p, "a", "hang", {}, { timeoutMs: 300 })).rejects.toBeInstanceOf(TaskTimeoutError);
    const controller = new AbortController();
    const cancelled = runFor(p, "a", "hang", {}, { signal: controller.signal });
    controller.abort();
    await expect(cancelled).rejects.toBeInstanceOf(TaskCancelledError);
    expect((await runFor<{ value: number }>(p, "a", "echo", { value: 1 })).value).toBe(1);
    expect(p.stats().refusedWorkspace).toBe(0);
  });

  it("a free thread goes to the workspace served least recently, not to the oldest run", async () => {
    const p = makePool({ threads: 1, maxQueue: 16, perWorkspace: 8 });
    const order: string[] = [];
    const runs: Promise<unknown>[] = [];
    const add = (tenant: string, label: string, ms: number) =>
      runs.push(runFor(p, tenant, "sleep", { ms }).then(() => order.push(label)));
    add("a", "a0", 200);
    await until(() => p.stats().running === 1);
    for (const label of ["a1", "a2", "a3"]) add("a", label, 5);
    for (const label of ["b1", "b2"]) add("b", label, 5);
    add("c", "c1", 5);
    expect(p.stats()).toMatchObject({ running: 1, queued: 6, workspaces: 3 });
    await Promise.all(runs);
    // First in first out would have given a0 a1 a2 a3 b1 b2 c1.
    expect(order).toEqual(["a0", "b1", "c1", "a1", "b2", "a2", "a3"]);
  });

  it("a run cancelled or timed out while it waits leaves the line at once and never runs", async () => {
    const p = makePool({ threads: 1, maxQueue: 8, perWorkspace: 8 });
    const blocker = runFor(p, "a", "sleep", { ms: 400 });
    await until(() => p.stats().running === 1);
    const controller = new AbortController();
    const cancelled = runFor(p, "b", "echo", {}, { signal: controller.signal });
    const timedOut = runFor(p, "c", "echo", {}, { timeoutMs: 50 });
    expect(p.stats().queued).toBe(2);
    controller.abort();
    await expect(cancelled).rejects.toBeInstanceOf(TaskCancelledError);
    await expect(timedOut).rejects.toBeInstanceOf(TaskTimeoutError);
    // Both left before the thread was free: only the blocker ever ran.
    expect(p.stats()).toMatchObject({ running: 1, queued: 0, completed: 0 });
    await blocker;
    expect(p.stats()).toMatchObject({ completed: 1, cancelled: 1, timedOut: 1, workspaces: 0 });
  });

  it("with several threads, runs start at once up to the thread count and wait beyond it", async () => {
    const p = makePool({ threads: 2, maxQueue: 8, perWorkspace: 8 });
    const runs = [0, 1, 2].map((i) => runFor(p, `w${i}`, "sleep", { ms: 200 }));
    expect(p.stats()).toMatchObject({ running: 2, queued: 1, workspaces: 3 });
    await Promise.all(runs);
    expect(p.stats()).toMatchObject({ running: 0, queued: 0, completed: 3 });
  });

  it("upkeep (a checkpoint) takes none of its workspace's share, yet stays bounded: one per workspace, and within the pool's bound", async () => {
    const p = makePool({ threads: 1, maxQueue: 2, perWorkspace: 1 });
    const upkeep = runFor(p, "a", "sleep", { ms: 300 }, { upkeep: true });
    // The workspace's own run is let in beside it (it waits for the thread), not refused.
    const own = runFor<{ threadId: number }>(p, "a", "sleep", { ms: 10 });
    expect(p.stats()).toMatchObject({ running: 1, queued: 1, refused: 0 });
    // A second upkeep run of the same workspace while one is in flight: refused.
    const second = runFor(p, "a", "echo", {}, { upkeep: true });
    await expect(second).rejects.toBeInstanceOf(RetryLaterError);
    await expect(second).rejects.toMatchObject({ status: 503 });
    // Another workspace's upkeep fills the pool (1 thread + 2 waiting); the next run of anyone is refused.
    const otherUpkeep = runFor(p, "b", "echo", { value: "b" }, { upkeep: true });
    await expect(runFor(p, "c", "echo")).rejects.toThrow("the server is busy");
    await expect(runFor(p, "c", "echo", {}, { upkeep: true })).rejects.toThrow("the server is busy");
    expect(p.stats()).toMatchObject({ refused: 3, refusedWorkspace: 0 });
    await Promise.all([upkeep, own, otherUpkeep]);
    // All given back: "a" may have its upkeep and its run again, and no workspace is left counted.
    expect(p.stats()).toMatchObject({ running: 0, queued: 0, workspaces: 0 });
    expect(
      (await runFor<{ value: string }>(p, "a", "echo", { value: "again" }, { upkeep: true })).value,
    ).toBe("again");
    expect((await runFor<{ value: string }>(p, "a", "echo", { value: "own" })).value).toBe("own");
  });
});
