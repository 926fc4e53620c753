import { readdirSync, readFileSync } from "node:fs";

/**
 * Where an export's time goes, by phase: the export's own thread (setup, waiting for reads,
 * appending to DuckDB, COPY, fsync, rename, manifest…) and, summed over the reader threads,
 * what reading the workspaces' files cost (open, log, snapshots). Printed as one line on stderr
 * when `CRM_EXPORT_TRACE` is set (`crm analytics export` and its benchmark); always cheap
 * (a clock read per phase, not per row).
 */
export class ExportTrace {
  readonly phases = new Map<string, number>();
  private last = performance.now();

  /** Adds the time since the last mark (or `since`) to `phase`, and marks now. */
  mark(phase: string): void {
    const now = performance.now();
    this.add(phase, now - this.last);
    this.last = now;
  }

  add(phase: string, ms: number): void {
    this.phases.set(phase, (this.phases.get(phase) ?? 0) + ms);
  }

  /** Adds another's phases (a reader's) under `prefix`. */
  merge(phases: Record<string, number> | undefined, prefix: string): void {
    for (const [phase, ms] of Object.entries(phases ?? {})) this.add(`${prefix}${phase}`, ms);
  }

  /**
   * Adds the CPU time of this process's threads so far (Linux /proc; nothing elsewhere) as
   * `cpu <thread name>` phases, threads of one name summed: the export's own thread, the reader
   * threads, DuckDB's. Wall times of phases that overlap say less on a busy machine.
   */
  threadCpu(): void {
    let tasks: string[];
    try {
      tasks = readdirSync("/proc/self/task");
    } catch {
      return;
    }
    for (const task of tasks) {
      try {
        const stat = readFileSync(`/proc/self/task/${task}/stat`, "utf8");
        const close = stat.lastIndexOf(")");
        const name = stat.slice(stat.indexOf("(") + 1, close);
        const fields = stat.slice(close + 2).split(" ");
        // utime and stime, in clock ticks (USER_HZ, 100 on Linux).
        this.add(
          `cpu ${task === String(process.pid) ? "main" : name}`,
          (Number(fields[11]) + Number(fields[12])) * 10,
        );
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  }

  /** `phase 12 ms, phase 3 ms, …` in the order the phases first came. */
  line(): string {
    return [...this.phases].map(([phase, ms]) => `${phase} ${ms.toFixed(0)} ms`).join(", ");
  }
}

/** Whether the environment asks for the trace line. */
export const traceWanted = (env: Record<string, string | undefined> = process.env) =>
  env.CRM_EXPORT_TRACE !== undefined && env.CRM_EXPORT_TRACE !== "" && env.CRM_EXPORT_TRACE !== "0";
