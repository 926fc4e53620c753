import { describe, expect, it } from "bun:test";
import { RetryLaterError } from "../core/errors.ts";
import { BoundedConcurrency } from "./bounded-concurrency.ts";

describe("BoundedConcurrency", () => {
  it("runs at most `concurrency` tasks at once, queues `maxWaiting` more, and refuses the rest with a 503", async () => {
    const gate = new BoundedConcurrency({ concurrency: 2, maxWaiting: 2 });
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await Bun.sleep(20);
      running--;
      return "done";
    };
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => gate.run(task)));
    expect(peak).toBe(2);
    expect(results.filter((r) => r.status === "fulfilled").length).toBe(4);
    const refused = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    expect(refused.length).toBe(2);
    expect(refused[0]?.reason).toBeInstanceOf(RetryLaterError);
    expect(gate.active).toBe(0);
    expect(gate.queued).toBe(0);
  });

  it("frees the slot when a task fails", async () => {
    const gate = new BoundedConcurrency({ concurrency: 1, maxWaiting: 0 });
    await expect(gate.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await gate.run(async () => 1)).toBe(1);
  });
});
