/**
 * `npm test`: the whole suite in two passes, because the machines it runs on have 2 cores and
 * most test files spend their time waiting (a server starting, a browser painting).
 *
 * 1. Most files run two at a time (`bun test --parallel=2`, each file in its own process).
 * 2. The files below run one at a time afterwards: they spawn process groups or the binary,
 *    load 100,000-row workspaces, drive wrk, or assert timings and event-loop stalls, which a
 *    second file on the other core would make fail for the wrong reason.
 *
 * Both passes always run; the exit code is non-zero if either failed. With arguments
 * (`npm test -- test/x.test.ts`) it is plain `bun test` on them.
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

function bunTest(args: string[]): number {
  const run = Bun.spawnSync([process.execPath, "test", ...TIMEOUT, ...args], {
    stdio: ["inherit", "inherit", "inherit"],
  });
  return run.exitCode ?? 1;
}

const passThrough = process.argv.slice(2);
if (passThrough.length > 0) process.exit(bunTest(passThrough));

const files = [...new Glob("{src,views,test,jobs,scripts}/**/*.test.ts").scanSync(".")].sort();
const missing = [...ALONE].filter((f) => !files.includes(f));
if (missing.length > 0) {
  console.error(`scripts/run-tests.ts names files that do not exist: ${missing.join(", ")}`);
  process.exit(2);
}
const together = files.filter((f) => !ALONE.has(f)).map((f) => `./${f}`);
const alone = files.filter((f) => ALONE.has(f)).map((f) => `./${f}`);

const started = Date.now();
const first = bunTest(["--parallel=2", ...together]);
const second = bunTest(alone);
console.log(
  `npm test: ${together.length} files two at a time (${first === 0 ? "passed" : "FAILED"}), ` +
    `${alone.length} alone (${second === 0 ? "passed" : "FAILED"}), ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
process.exit(first === 0 && second === 0 ? 0 : 1);
