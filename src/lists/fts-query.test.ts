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
    const match = (query: string) => db.query("SELECT a FROM t WHERE t MATCH ?").all(query);
    const withWords = ["NEAR(", "near(the", "a OR b", "col:x", "^start", "a AND NOT b", "x".repeat(500)];
    const queries = withWords.map(toFtsQuery);
    expect(queries).toHaveLength(7);
    for (const [i, query] of queries.entries()) {
      expect([withWords[i], typeof query]).toEqual([withWords[i], "string"]);
      expect(() => match(query as string)).not.toThrow();
    }
    // Words of FTS syntax are only words: NEAR( finds the row with "near" in it, and nothing else.
    expect(match(toFtsQuery("NEAR(") as string)).toEqual([{ a: "near the column" }]);
    expect(match(toFtsQuery("near(the") as string)).toEqual([{ a: "near the column" }]);
    expect(match(toFtsQuery("a OR b") as string)).toEqual([]);
    expect(match(toFtsQuery("col:x") as string)).toEqual([]);
    expect(toFtsQuery("NEAR(")).toBe('"NEAR"*');
    expect(toFtsQuery("a AND NOT b")).toBe('"a"* "AND"* "NOT"* "b"*');
    const withoutWords = ['"', "*", "-", "((", "'", "\u0000", "*** --- (("];
    expect(withoutWords.map(toFtsQuery)).toEqual(withoutWords.map(() => undefined));
  });

  it("keeps at most eight words", () => {
    expect(toFtsQuery("a b c d e f g h i j")?.split(" ").length).toBe(8);
  });
});
