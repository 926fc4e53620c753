import { Database } from "bun:sqlite";
import { describe, expect, it } from "bun:test";
import { toFtsQuery } from "./fts-query.ts";

describe("toFtsQuery", () => {
  it("turns words into quoted prefix terms that must all match", () => {
    expect(toFtsQuery("Jane doe")).toBe('"Jane"* "doe"*');
    expect(toFtsQuery("jane.doe@exa")).toBe('"jane"* "doe"* "exa"*');
    expect(toFtsQuery("Zoë Müller")).toBe('"Zoë"* "Müller"*');
  });

  it("leaves nothing of FTS syntax, so no input can make a failing query", () => {
    const db = new Database(":memory:");
    db.run("CREATE VIRTUAL TABLE t USING fts5(a)");
    db.run("INSERT INTO t VALUES ('near the column')");
    for (const input of [
      '"',
      "*",
      "NEAR(",
      "-",
      "a OR b",
      "col:x",
      "((",
      "^start",
      "a AND NOT b",
      "'",
      "\u0000",
      "x".repeat(500),
    ]) {
      const query = toFtsQuery(input);
      if (query) expect(() => db.query("SELECT * FROM t WHERE t MATCH ?").all(query)).not.toThrow();
    }
    expect(toFtsQuery("*** --- ((")).toBeUndefined();
    expect(toFtsQuery("NEAR(")).toBe('"NEAR"*');
  });

  it("keeps at most eight words", () => {
    expect(toFtsQuery("a b c d e f g h i j")?.split(" ").length).toBe(8);
  });
});
