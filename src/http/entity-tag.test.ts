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

  it("reads the header as RFC 9110's list of entity tags: anything else is no list and matches nothing", () => {
    const tag = entityTag("{}");
    for (const header of [`"x", , ${tag}`, `${tag},`, `\t${tag}\t`])
      expect(`${header} ${ifMatchHolds(header, tag)}`).toBe(`${header} true`);
    for (const header of [
      `xyz${tag}`,
      `w/${tag}`,
      `${tag}garbage`,
      `${tag} ${tag}`,
      `"x";${tag}`,
      `* ${tag}`,
    ])
      expect(`${header} ${ifMatchHolds(header, tag)}`).toBe(`${header} false`);
  });

  it("takes a compressed answer's tag (`-gzip`, `-zstd`) as its record's, and no other suffix", () => {
    const tag = entityTag("{}");
    const bare = tag.slice(0, -1);
    for (const header of [`${bare}-gzip"`, `"x", ${bare}-zstd"`])
      expect(`${header} ${ifMatchHolds(header, tag)}`).toBe(`${header} true`);
    for (const header of [`${bare}-br"`, `${bare}-gzip-gzip"`, `W/${bare}-gzip"`, `${bare}gzip"`])
      expect(`${header} ${ifMatchHolds(header, tag)}`).toBe(`${header} false`);
  });
});
