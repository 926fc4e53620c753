import { afterEach, describe, expect, it } from "bun:test";
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

describe("the worker pool (real piscina threads under Bun)", () => {
  it("runs a task off the server's thread and hands back what it returned", async () => {
    const p = makePool();
    const result = await run<{ value: unknown; threadId: number }>(p, "echo", { value: { a: [1, "two"] } });
    expect(result.value).toEqual({ a: [1, "two"] });
    expect(result.threadId).toBeGreaterThan(0);
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
    const p = makePool({ timeoutMs: 300 });
    const started = performance.now();
    const hung = run(p, "hang");
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
