import { Database } from "bun:sqlite";
import { mkdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileDurably } from "../../src/core/durable-file.ts";
import { AppError } from "../../src/core/errors.ts";
import { STATE_DIR } from "./warehouse-layout.ts";

/** Another export holds the warehouse: a refusal (exit 2), not a crash. */
export class ExportBusyError extends AppError {
  constructor(message: string) {
    super(409, "Conflict", message);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}

/**
 * When a process started (`/proc/<pid>/stat` field 22, clock ticks since boot), or undefined
 * where it cannot be read (no /proc, no such process). A process id is reused once its process
 * is gone; an id with its start time names one process only.
 */
export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command (field 2) may hold spaces and parentheses: the fields after it follow the last ")".
    const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    return start && /^[0-9]+$/.test(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/** The program a process runs (`/proc/<pid>/exe`), or undefined when it cannot be read. */
function programOf(pid: number): string | undefined {
  try {
    return realpathSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

/**
 * Whether the lock's holder still runs: its process id is alive and is still the process that
 * wrote the lock (same start time). A lock without a start time (written by hand, or by an
 * export before they were recorded) holds while its process id runs this same program.
 */
function holds(holder: Holder): boolean {
  if (!alive(holder.pid)) return false;
  if (holder.start !== undefined) {
    const start = startTimeOf(holder.pid);
    return start === undefined || start === holder.start;
  }
  const program = programOf(holder.pid);
  if (program === undefined) return true;
  try {
    return program === realpathSync(process.execPath);
  } catch {
    return true;
  }
}

/** How long a process waits for another's look at the lock (microseconds each) before giving up. */
const GATE_WAIT_MS = 5_000;

/**
 * Runs `step` while holding the lock's gate: SQLite's exclusive lock on `_state/lock.gate`
 * (a POSIX record lock, which the system releases when its process dies, killed or not). Every
 * look at the lock file and every change of it happens under the gate, so reading a dead
 * holder's id and taking its place is one step: two processes never both take over the same
 * dead lock, and none removes a lock another has just taken.
 */
function underGate<T>(warehouse: string, step: () => T): T {
  const gate = new Database(join(warehouse, STATE_DIR, "lock.gate"), { create: true });
  try {
    gate.exec(`PRAGMA busy_timeout = ${GATE_WAIT_MS}`);
    try {
      gate.exec("BEGIN EXCLUSIVE");
    } catch (error) {
      throw new ExportBusyError(`could not lock ${warehouse}: ${(error as Error).message}`);
    }
    try {
      return step();
    } finally {
      gate.exec("ROLLBACK");
    }
  } finally {
    gate.close();
  }
}

interface Holder {
  pid: number;
  start?: string;
}

/** The lock's `<pid> <start time>` (or a bare pid), or undefined when it is absent or unreadable. */
function holderOf(path: string): Holder | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const match = /^\s*([0-9]+)(?:\s+([0-9]+))?\s*$/.exec(text);
  const pid = Number(match?.[1]);
  if (!match || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return match[2] === undefined ? { pid } : { pid, start: match[2] };
}

/**
 * One export at a time per warehouse: `_state/lock` holds the exporting process's id and start
 * time. A lock whose process is gone (killed), or whose id now names another process (another
 * start time), is taken over, atomically (under the gate: underGate).
 */
export function lockWarehouse(warehouse: string): () => void {
  mkdirSync(join(warehouse, STATE_DIR), { recursive: true });
  const path = join(warehouse, STATE_DIR, "lock");
  underGate(warehouse, () => {
    const holder = holderOf(path);
    if (holder && holder.pid !== process.pid && holds(holder))
      throw new ExportBusyError(`another export (process ${holder.pid}) is writing ${warehouse}`);
    // Whole or not at all (temporary name, rename): a reader never sees it empty.
    const start = startTimeOf(process.pid);
    writeFileDurably(path, start === undefined ? String(process.pid) : `${process.pid} ${start}`);
  });
  return () =>
    underGate(warehouse, () => {
      if (holderOf(path)?.pid === process.pid) rmSync(path, { force: true });
    });
}
