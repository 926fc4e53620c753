import type { LoadtestSummary } from "./loadtest-summary.ts";

const mb = (bytes: number | null) => (bytes === null ? "?" : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

/** The summary as the operator reads it on stdout. */
export function summaryText(s: LoadtestSummary): string {
  const l = s.latencyMs;
  const lines = [
    `crm loadtest: scenario ${s.scenario} against ${s.url}, ${s.seconds} s, ${s.connections} connection${s.connections === 1 ? "" : "s"}, as ${s.users.join(", ")}`,
    "",
    `requests     ${s.requests} (${s.requestsPerSecond} req/s), ${(s.bytes / 1024 / 1024).toFixed(1)} MB read`,
    `latency      p50 ${l.p50} ms  p90 ${l.p90} ms  p99 ${l.p99} ms  p99.9 ${l["p99.9"]} ms  max ${l.max} ms`,
    `errors       ${s.errors.total}${
      s.errors.total
        ? ` (${[
            ...Object.entries(s.errors.byStatus).map(([status, n]) => `${n} × ${status}`),
            ...Object.entries(s.errors.socket)
              .filter(([, n]) => n > 0)
              .map(([kind, n]) => `${n} × socket ${kind}`),
            ...(s.errors.unexpected
              ? [`${s.errors.unexpected} × unexpected answer (e.g. a redirect to the login page)`]
              : []),
          ].join(", ")})`
        : ""
    }`,
    `unmeasured   ${gapText(s)}`,
    `server RSS   ${mb(s.rss.startBytes)} at the start, ${mb(s.rss.warmBytes)} after the first slice, ${mb(s.rss.endBytes)} at the end${
      s.rss.growthPercent === null
        ? " (/metrics not readable)"
        : `: ${s.rss.growthPercent >= 0 ? "+" : ""}${s.rss.growthPercent} %`
    }`,
    `created      ${s.created.contacts} contacts, ${s.created.deals} deals (named "loadtest …")`,
    "",
    "action            count  errors   mean ms    p50 ms    p99 ms    max ms  statuses",
    ...s.actions.map(
      (a) =>
        `${a.name.padEnd(16)} ${String(a.count).padStart(6)}  ${String(a.errors).padStart(6)}  ${a.meanMs.toFixed(2).padStart(8)}  ${a.p50Ms.toFixed(2).padStart(8)}  ${a.p99Ms.toFixed(2).padStart(8)}  ${a.maxMs.toFixed(2).padStart(8)}  ${Object.entries(
          a.statuses,
        )
          .map(([status, n]) => `${status}×${n}`)
          .join(" ")}`,
    ),
    "",
    s.failures.length ? `FAIL  ${s.failures.join("; ")}` : "PASS  no errors, every limit kept",
  ];
  return lines.join("\n");
}

/** The wall time between slices no request measured: wrk's starts and the /metrics reads, or a stall. */
function gapText(s: LoadtestSummary): string {
  const total = s.slices.reduce((sum, x) => sum + x.gapSeconds, 0);
  const worst = s.slices.reduce((a, x) => (x.gapSeconds > (a?.gapSeconds ?? -1) ? x : a), s.slices[0]);
  const unanswered = s.slices.reduce((sum, x) => sum + x.unanswered, 0);
  return `${Math.round(total * 100) / 100} s of ${s.seconds} s between slices${worst ? ` (at most ${worst.gapSeconds} s, after the slice from ${worst.from} s)` : ""}; ${unanswered} request${unanswered === 1 ? "" : "s"} unanswered at a slice's end`;
}
