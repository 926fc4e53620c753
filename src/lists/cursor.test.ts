import { describe, expect, it } from "bun:test";
import { pack } from "msgpackr";
import { decodeCursor, encodeCursor } from "./cursor.ts";

describe("cursors", () => {
  it("round-trip, and are shorter than the same thing in JSON", () => {
    const cursor = {
      sort: "name",
      order: "asc" as const,
      direction: "after" as const,
      key: ["Lovelace", "Ada", 12345],
    };
    const text = encodeCursor(cursor);
    expect(decodeCursor(text)).toEqual(cursor);
    expect(text.length).toBeLessThan(Buffer.from(JSON.stringify(cursor)).toString("base64url").length);
  });

  it("refuse anything that is not exactly their shape", () => {
    const bad = [
      "",
      "not base64!",
      "x".repeat(2000),
      Buffer.from("garbage").toString("base64url"),
      Buffer.from(pack({ sort: "name" })).toString("base64url"),
      Buffer.from(pack(["name", 0, 0, [1]])).toString("base64url"),
      Buffer.from(pack(["name", 2, 0, ["a", 1]])).toString("base64url"),
      Buffer.from(pack(["name", 0, 0, ["a", 1.5]])).toString("base64url"),
      Buffer.from(pack(["name", 0, 0, [{ $gt: 1 }, 1]])).toString("base64url"),
      Buffer.from(pack(["name", 0, 0, [1, 2, 3, 4, 5]])).toString("base64url"),
    ];
    for (const text of bad) expect(() => decodeCursor(text)).toThrow(/cursor/);
  });
});
