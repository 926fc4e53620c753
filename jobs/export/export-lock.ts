import { Database } from "bun:sqlite";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { AppError } from "../../src/core/errors.ts";
import { writeFileDurably } from "./durable-files.ts";
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

function holderOf(path: string): number {
  try {
    return Number(readFileSync(path, "utf8"));
  } catch {
    return Number.NaN;
  }
}

/**
 * One export at a time per warehouse: `_state/lock` holds the exporting process's id. A lock
 * whose process is gone (killed) is taken over, atomically (under the gate: underGate).
 */
export function lockWarehouse(warehouse: string): () => void {
  mkdirSync(join(warehouse, STATE_DIR), { recursive: true });
  const path = join(warehouse, STATE_DIR, "lock");
  underGate(warehouse, () => {
    const holder = holderOf(path);
    if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && alive(holder))
      throw new ExportBusyError(`another export (process ${holder}) is writing ${warehouse}`);
    // Whole or not at all (temporary name, rename): a reader never sees it empty.
    writeFileDurably(path, String(process.pid));
  });
  return () =>
    underGate(warehouse, () => {
      if (holderOf(path) === process.pid) rmSync(path, { force: true });
    });
}
