import { describe, expect, it } from "bun:test";
import { isValidSlug, slugProblem } from "./slug.ts";

describe("workspace slugs", () => {
  it("accepts short lower-case names with inner hyphens", () => {
    for (const slug of ["acme", "rosas-flowers", "a1", "x".repeat(40)]) expect(isValidSlug(slug)).toBe(true);
  });

  it("rejects anything that could escape a path, a URL or a log line", () => {
    for (const slug of [
      "",
      "a",
      "../etc",
      "a/b",
      "A",
      "a b",
      "-a",
      "a-",
      "a--b",
      "a.b",
      "%2e%2e",
      "x".repeat(41),
      "ä",
      "a\nb",
    ]) {
      expect([slug, isValidSlug(slug)]).toEqual([slug, false]);
    }
  });

  it("reserves names that read as the product's own", () => {
    expect(slugProblem("api")).toBe("is reserved");
    expect(slugProblem("admin")).toBe("is reserved");
  });
});
