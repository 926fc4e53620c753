import { describe, expect, it } from "bun:test";
import { autolink } from "./autolink.raw.ts";

describe("autolink", () => {
  it("links http(s) URLs, leaving trailing punctuation outside", () => {
    expect(autolink("See https://example.com/a?b=1&c=2.").value).toBe(
      'See <a href="https://example.com/a?b=1&amp;c=2" rel="nofollow noopener noreferrer" target="_blank">https://example.com/a?b=1&amp;c=2</a>.',
    );
  });

  it("never renders HTML or non-http links", () => {
    const out = autolink(
      '<script>alert(1)</script> javascript:alert(1) data:text/html,x <a href="x">y</a>',
    ).value;
    expect(out).not.toContain("<script");
    expect(out).not.toContain('<a href="x"');
    expect(out).not.toContain('href="javascript');
    expect(out).not.toContain('href="data');
  });

  it("cannot be broken out of the href by quotes", () => {
    expect(autolink('https://x.example/"onmouseover="alert(1)').value).not.toContain('"onmouseover');
  });
});
