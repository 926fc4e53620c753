import { describe, expect, it } from "bun:test";
import { RetryLaterError } from "../core/errors.ts";
import { ResetTaskLines } from "./reset-task-lines.ts";

describe("ResetTaskLines", () => {
  it("runs one at a time per workspace, in order, and workspaces side by side", async () => {
    const lines = new ResetTaskLines();
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const job = (name: string) => async () => {
      running++;
      most = Math.max(most, running);
      await Bun.sleep(5);
      log.push(name);
      running--;
    };
    const failed = (error: unknown) => log.push(`failed ${error}`);
    for (const name of ["a1", "a2", "a3"]) expect(lines.add("a", job(name), failed)).toBe(true);
    lines.add("b", job("b1"), failed);
    await Bun.sleep(60);
    expect(log.filter((x) => x.startsWith("a"))).toEqual(["a1", "a2", "a3"]);
    expect(log).toContain("b1");
    expect(most).toBe(2);
  });

  it("retries a run the pool refused as busy, and a failure does not stop the line", async () => {
    const lines = new ResetTaskLines();
    let tries = 0;
    const errors: unknown[] = [];
    let after = false;
    lines.add(
      "a",
      async () => {
        tries++;
        if (tries < 3) throw new RetryLaterError(503, "busy", 1);
      },
      (error) => errors.push(error),
    );
    lines.add(
      "a",
      async () => {
        throw new Error("broken");
      },
      (error) => errors.push(error),
    );
    lines.add(
      "a",
      async () => {
        after = true;
      },
      (error) => errors.push(error),
    );
    await Bun.sleep(600);
    expect(tries).toBe(3);
    expect(errors.map(String)).toEqual(["Error: broken"]);
    expect(after).toBe(true);
  });
});
