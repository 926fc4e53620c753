/** CPU time of a process's threads and of the whole machine, from /proc (Linux), for splitting a phase's CPU. */
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

const TICK_MS = 10; // USER_HZ is 100 on Linux

export interface CpuSnapshot {
  at: number;
  /** Per thread id: its name and its user + system time, ms. */
  threads: Map<number, { name: string; ms: number }>;
  /** The machine: busy and total time over every core, ms. */
  machineBusyMs: number;
  machineTotalMs: number;
}

export function snapshot(pid: number): CpuSnapshot {
  const threads = new Map<number, { name: string; ms: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const name = stat.slice(stat.indexOf("(") + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      // After the name: state is field 3, utime 14 and stime 15 (1-based over the whole line).
      threads.set(Number(tid), { name, ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  const cpu = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "")
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = cpu.reduce((sum, n) => sum + n, 0);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return {
    at: performance.now(),
    threads,
    machineBusyMs: (total - idle) * TICK_MS,
    machineTotalMs: total * TICK_MS,
  };
}

/**
 * Milliseconds of CPU between two snapshots spent by the process's main thread (its id is the
 * pid) and by its other threads together (worker threads, SQLite's and the runtime's helpers).
 */
export function cpuSpent(pid: number, before: CpuSnapshot, after: CpuSnapshot) {
  let main = 0;
  let others = 0;
  for (const [tid, thread] of after.threads) {
    const spent = thread.ms - (before.threads.get(tid)?.ms ?? 0);
    if (tid === pid) main += spent;
    else others += spent;
  }
  return { main, others };
}

/** Cores used between two snapshots: as cpuSpent divides them over the time, and by the whole machine. */
export function coresUsed(pid: number, before: CpuSnapshot, after: CpuSnapshot) {
  const wall = after.at - before.at;
  const { main, others } = cpuSpent(pid, before, after);
  return {
    main: main / wall,
    others: others / wall,
    machine:
      ((after.machineBusyMs - before.machineBusyMs) / (after.machineTotalMs - before.machineTotalMs)) *
      availableParallelism(),
  };
}
