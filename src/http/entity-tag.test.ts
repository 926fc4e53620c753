import { describe, expect, it } from "bun:test";
import { entityTag, ifMatchHolds } from "./entity-tag.ts";

describe("entityTag and If-Match", () => {
  it("tags the exact JSON text: one byte apart, another tag", () => {
    const tag = entityTag('{"id":1,"name":"Ada"}');
    expect(tag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(entityTag('{"id":1,"name":"Ada"}')).toBe(tag);
    expect(entityTag('{"id":1,"name":"Ada "}')).not.toBe(tag);
  });

  it("compares strongly: the tag itself, in a list or alone, or *; never a weak tag or a malformed header", () => {
    const tag = entityTag("{}");
    for (const header of [tag, `"x",${tag}`, `"x" , ${tag} ,"y"`, "*", " * "])
      expect(ifMatchHolds(header, tag)).toBe(true);
    for (const header of [`W/${tag}`, tag.slice(1, -1), '"x"', "", ",", `*, ${tag.slice(0, -1)}`, `"${tag}"`])
      expect(`${header} ${ifMatchHolds(header, tag)}`).toBe(`${header} false`);
  });
});
