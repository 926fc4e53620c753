/**
 * `npm test`: the whole suite in two passes, because the machines it runs on have 2 cores and
 * most test files spend their time waiting (a server starting, a browser painting).
 *
 * 1. Most files run two at a time (`bun test --parallel=2`, each file in its own process).
 * 2. The files below run one at a time afterwards: they spawn process groups or the binary,
 *    load 100,000-row workspaces, drive wrk, or assert timings and event-loop stalls, which a
 *    second file on the other core would make fail for the wrong reason.
 *
 * Both passes always run. A file that fails is run once more, on its own, after its pass: these
 * machines are shared, and a neighbour's burst of CPU can push a timing past its bound. The
 * suite passes only if every file passed, the first time or on its own; every failure of a first
 * attempt is printed at the end with its file, so a flaky test is named, never hidden. With
 * arguments (`npm test -- test/x.test.ts`) it is plain `bun test` on them.
 */
import { Glob } from "bun";

const TIMEOUT = ["--timeout", "60000"];

/** Files that must have the machine to themselves (see above). */
const ALONE = new Set([
  "test/a11y-axe.test.ts",
  "test/api-rate-limit-contract.test.ts",
  "test/backup-schedule.test.ts",
  "test/binary.test.ts",
  "test/busy-retry.test.ts",
  "test/checkpoints.test.ts",
  "test/cli-heavy.test.ts",
  "test/crash.test.ts",
  "test/durability.test.ts",
  "test/engagement-segments.test.ts",
  "test/faults-disk.test.ts",
  "test/fan-out-in-pool.test.ts",
  "test/faults.test.ts",
  "test/healthz-first.test.ts",
  "test/heavy.test.ts",
  "test/imports-crash.test.ts",
  "test/loadtest.test.ts",
  "test/noisy-neighbour.test.ts",
  "test/ops.test.ts",
  "test/page-budgets.test.ts",
  "test/procs.test.ts",
  "test/segments-browser.test.ts",
  "test/server-timing.test.ts",
  "test/shutdown.test.ts",
  "test/trial-accounts-money.test.ts",
  "test/trial-binary.test.ts",
  "test/trial-idempotency-batch.test.ts",
  "test/trial-loadtest.test.ts",
  "test/trial-metrics.test.ts",
  "test/trial-ops.test.ts",
  "test/trial-procs.test.ts",
  "test/trial-rate-limits.test.ts",
  "test/trial-webhooks.test.ts",
]);

/** What one `bun test` run did: its exit code and, per file, the names of the tests that failed. */
interface Run {
  code: number;
  failed: Map<string, string[]>;
}

/** Runs `bun test`, passing its report through while noting which file each failure is in. */
async function bunTest(args: string[]): Promise<Run> {
  const child = Bun.spawn([process.execPath, "test", ...TIMEOUT, ...args], {
    stdin: "inherit",
    stdout: "inherit",
    stderr: "pipe",
  });
  const failed = new Map<string, string[]>();
  let file = "";
  let partial = "";
  const decoder = new TextDecoder();
  const note = (line: string) => {
    const header = /^(\S+\.test\.ts):$/.exec(line);
    if (header) file = header[1] ?? "";
    // The summary at the end lists the failures again, after the last file's header: not that file's.
    else if (/^\d+ tests? (failed|skipped|todo):$/.test(line)) file = "";
    else if (line.startsWith("(fail) ") && file !== "") {
      const names = failed.get(file) ?? [];
      names.push(line.slice("(fail) ".length));
      failed.set(file, names);
    }
  };
  for await (const chunk of child.stderr) {
    process.stderr.write(chunk);
    const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) note(line);
  }
  note(partial);
  return { code: (await child.exited) ?? 1, failed };
}

/**
 * One pass: the files, then any that failed once more on their own. Returns whether the pass
 * passed, and what failed on the first attempt. A failing run that names no failing file (a
 * crash, an error outside any test) is not retried: it fails the pass.
 */
async function pass(args: string[]): Promise<{ ok: boolean; firstFailures: Map<string, string[]> }> {
  const first = await bunTest(args);
  if (first.code === 0) return { ok: true, firstFailures: first.failed };
  if (first.failed.size === 0) return { ok: false, firstFailures: first.failed };
  const again = [...first.failed.keys()].map((f) => (f.startsWith("./") ? f : `./${f}`));
  console.error(
    `\nnpm test: ${again.length} file(s) failed; running each once more on its own: ${again.join(" ")}`,
  );
  let ok = true;
  for (const file of again) if ((await bunTest([file])).code !== 0) ok = false;
  return { ok, firstFailures: first.failed };
}

function describe(label: string, failures: Map<string, string[]>): string[] {
  const lines: string[] = [];
  for (const [file, names] of failures) for (const name of names) lines.push(`  ${label} ${file}: ${name}`);
  return lines;
}

const passThrough = process.argv.slice(2);
if (passThrough.length > 0) process.exit((await bunTest(passThrough)).code);

const files = [...new Glob("{src,views,test,jobs,scripts}/**/*.test.ts").scanSync(".")].sort();
const missing = [...ALONE].filter((f) => !files.includes(f));
if (missing.length > 0) {
  console.error(`scripts/run-tests.ts names files that do not exist: ${missing.join(", ")}`);
  process.exit(2);
}
const together = files.filter((f) => !ALONE.has(f)).map((f) => `./${f}`);
const alone = files.filter((f) => ALONE.has(f)).map((f) => `./${f}`);

const started = Date.now();
const first = await pass(["--parallel=2", ...together]);
const second = await pass(alone);
const report = [
  ...describe("(two at a time)", first.firstFailures),
  ...describe("(alone)", second.firstFailures),
];
if (report.length > 0) console.log(`npm test: failed on the first attempt:\n${report.join("\n")}`);
console.log(
  `npm test: ${together.length} files two at a time (${first.ok ? "passed" : "FAILED"}), ` +
    `${alone.length} alone (${second.ok ? "passed" : "FAILED"}), ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
process.exit(first.ok && second.ok ? 0 : 1);
