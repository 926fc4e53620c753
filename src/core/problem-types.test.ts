import { describe, expect, it } from "bun:test";
import { Glob } from "bun";
import { CLIENT_CLOSED_REQUEST } from "../http/on-error.ts";
import { PROBLEM_KINDS, problemKindOf, problemTypeOf } from "./problem-types.ts";

const SRC = new URL("..", import.meta.url).pathname;

/** Every status an error of ours is made with: `super(409, …)`, `new AppError(415, …)`, `new RetryLaterError(503, …)`. */
async function statusesThrown(): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  const made = /(?:super|new \w*(?:Error|Exception))\(\s*(\d{3})\b/g;
  for await (const file of new Glob("**/*.ts").scan(SRC)) {
    if (file.endsWith(".test.ts")) continue;
    const text = await Bun.file(`${SRC}${file}`).text();
    for (const match of text.matchAll(made)) found.set(Number(match[1]), file);
  }
  return found;
}

describe("problem types", () => {
  it("give every status an error of ours is made with a kind of its own (the client-closed 499 is never answered)", async () => {
    const statuses = await statusesThrown();
    expect(statuses.size).toBeGreaterThan(8);
    const without = [...statuses]
      .filter(([status]) => status !== CLIENT_CLOSED_REQUEST && status >= 400 && !problemKindOf(status))
      .map(([status, file]) => `${status} (${file})`);
    expect(without).toEqual([]);
  });

  it("are distinct, stable, relative URIs, one per status", () => {
    expect(new Set(PROBLEM_KINDS.map((k) => k.kind)).size).toBe(PROBLEM_KINDS.length);
    expect(new Set(PROBLEM_KINDS.map((k) => k.status)).size).toBe(PROBLEM_KINDS.length);
    for (const k of PROBLEM_KINDS) expect(k.kind).toMatch(/^[a-z]+(-[a-z]+)*$/);
    expect(problemTypeOf(422)).toBe("/api/v1/problems/validation");
    expect(problemTypeOf(429)).toBe("/api/v1/problems/rate-limited");
    expect(problemTypeOf(404)).toBe("/api/v1/problems/not-found");
    expect(problemTypeOf(418)).toBe("about:blank");
  });
});
