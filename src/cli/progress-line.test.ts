import { describe, expect, it } from "bun:test";
import { ProgressLine } from "./progress-line.ts";

/** A sink that keeps what was written, as a terminal (isTTY) or a pipe would receive it. */
function sink(isTTY: boolean) {
  const written: string[] = [];
  return { out: { isTTY, write: (text: string) => written.push(text) }, written };
}

/** A clock the test moves by hand. */
function clock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("ProgressLine", () => {
  it("on a terminal redraws one bar in place, at most every 100 ms, and ends it with a line of its own", () => {
    const { out, written } = sink(true);
    const time = clock();
    const progress = new ProgressLine("acme contacts", "rows", out, time.now);
    time.advance(1_000);
    progress.update(25_000, 100_000);
    time.advance(50);
    progress.update(30_000, 100_000);
    time.advance(60);
    progress.update(50_000, 100_000);
    progress.update(100_000, 100_000, true);
    progress.finish("exported 100,000 rows");
    expect(written).toEqual([
      `\racme contacts [########......................] 25,000 of 100,000 rows (25%)\x1b[K`,
      `\racme contacts [###############...............] 50,000 of 100,000 rows (50%)\x1b[K`,
      `\racme contacts [##############################] 100,000 of 100,000 rows (100%)\x1b[K`,
      "\n",
      "exported 100,000 rows\n",
    ]);
  });

  it("elsewhere (a pipe, a log) writes a plain line at most every 2 s, and always the last one", () => {
    const { out, written } = sink(false);
    const time = clock();
    const progress = new ProgressLine("acme backup", "MB", out, time.now);
    time.advance(2_000);
    progress.update(10, 40);
    time.advance(1_000);
    progress.update(20, 40);
    time.advance(1_000);
    progress.update(30, 40);
    progress.update(40, 40, true);
    progress.finish("backed up acme");
    expect(written).toEqual([
      "acme backup: 10 of 40 MB (25%)\n",
      "acme backup: 30 of 40 MB (75%)\n",
      "acme backup: 40 of 40 MB (100%)\n",
      "backed up acme\n",
    ]);
  });

  it("without a total shows the count alone", () => {
    const { out, written } = sink(false);
    const progress = new ProgressLine("acme deals", "rows", out, () => 5_000);
    progress.update(1_234, 0);
    expect(written).toEqual(["acme deals: 1,234 rows\n"]);
  });
});
