import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
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
 * One export at a time per warehouse: `_state/lock` holds the exporting process's id. A lock
 * whose process is gone (killed) is taken over.
 */
export function lockWarehouse(warehouse: string): () => void {
  mkdirSync(join(warehouse, STATE_DIR), { recursive: true });
  const path = join(warehouse, STATE_DIR, "lock");
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(path, "utf8"));
      } catch {
        // Removed meanwhile: try again.
      }
      if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && alive(holder))
        throw new ExportBusyError(`another export (process ${holder}) is writing ${warehouse}`);
      rmSync(path, { force: true });
    }
  }
  throw new ExportBusyError(`could not lock ${warehouse}`);
}
