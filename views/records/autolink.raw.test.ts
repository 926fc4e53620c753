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

  it("takes time in proportion to the text, even for a URL followed by a long run of punctuation", () => {
    // A URL then punctuation that does not end the text: the shape that made the old
    // end-anchored regex retry from every position (10,000 characters took ~90 ms).
    const note = (n: number) => `https://x.example/${".,;:!?".repeat(n / 6)}a`;
    const median = (n: number) => {
      const text = note(n);
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const start = performance.now();
        autolink(text);
        times.push(performance.now() - start);
      }
      return times.sort((a, b) => a - b)[2] as number;
    };
    median(6_000); // warm up
    // ~1 ms here when linear; the quadratic regex took ~1,600 ms on 48,000 characters, so a
    // bound of 200 ms holds on a busy machine and still fails for the old code by 8 times.
    expect(median(48_000)).toBeLessThan(200);
    expect(autolink(note(12)).value).toContain('<a href="https://x.example/.,;:!?.,;:!?a"');
  });
});
