import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { writeFileDurably } from "../core/durable-file.ts";
import { type Placement, validatePlacement } from "./placement.ts";

/** Reads and checks the placement file. */
export function readPlacement(path: string): Placement {
  return validatePlacement(JSON.parse(readFileSync(path, "utf8")));
}

/**
 * Writes the placement file whole or not at all (a temporary file, fsynced, renamed over it),
 * readable by its owner only: it holds the cluster's secret. Only `crm cluster …` commands
 * call this. Its folder is not fsynced: a move's flip writes it inside the freeze, where a
 * folder fsync would add ~4 ms; a power cut just after may bring back the previous version.
 */
export function writePlacement(path: string, placement: Placement): void {
  writeFileDurably(path, `${JSON.stringify(placement, null, 2)}\n`, { mode: 0o600, syncFolder: false });
}

/** The placement file changed between a command's read and its write: nothing was written. */
export class PlacementChangedError extends Error {}

/** A lock older than this was left by a writer that died holding it (a write holds it for ms). */
const STALE_LOCK_MS = 5_000;
/** How long a writer waits for another's lock before giving up. */
const LOCK_WAIT_MS = 3_000;

/**
 * Runs `work` holding `<path>.lock` (created exclusively; removed after), so the writers of one
 * placement file (`crm cluster hosts add|remove`, `place`, a move's flip) re-read, check and
 * write it one at a time. Synchronous: only commands call it, never a server's request.
 */
function withPlacementLock<T>(path: string, work: () => T): T {
  const lock = `${path}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(lock, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      try {
        if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { force: true });
      } catch {
        // Gone between the open and the stat: try again.
      }
      if (Date.now() > deadline)
        throw new PlacementChangedError(`${lock} is held by another crm cluster command; try again`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
  try {
    return work();
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * Writes `placement` (version n + 1) only if the file is still at version n (no file: 0), as
 * read when the command began: two commands that read version n at once (a `place` asks a host
 * before it writes, a move's flip may come meanwhile) must not both write n + 1, the second
 * erasing the first's change after it was reported. The loser throws PlacementChangedError.
 */
export function savePlacement(path: string, placement: Placement): void {
  withPlacementLock(path, () => {
    const current = existsSync(path) ? readPlacement(path).version : 0;
    if (current !== placement.version - 1)
      throw new PlacementChangedError(
        `${path} changed while this command ran (version ${placement.version - 1} read, now ${current}): nothing changed; run it again`,
      );
    writePlacement(path, placement);
  });
}

/** Re-reads the placement under the lock, and writes the next version `change` makes of it. */
export function updatePlacement(
  path: string,
  change: (current: Placement) => Omit<Placement, "version">,
): Placement {
  return withPlacementLock(path, () => {
    const current = readPlacement(path);
    const next = validatePlacement({ ...change(current), version: current.version + 1 });
    writePlacement(path, next);
    return next;
  });
}

/** A placement with no hosts yet and a fresh secret (the first `crm cluster hosts add`). */
export function newPlacement(): Placement {
  return { version: 1, secret: randomBytes(32).toString("base64url"), hosts: [], overrides: {} };
}

/**
 * The placement file as the server sees it: re-read whenever it changes on disk (a stat per
 * call, ~2 µs; at most one read per change), so every process on every host follows a
 * `crm cluster` change without a restart. A file that turns unreadable or invalid keeps the last
 * good placement (and says so once), rather than letting a half-edited file re-home tenants.
 */
export class PlacementWatch {
  private stamp = "";
  private placement: Placement;

  constructor(
    readonly path: string,
    private readonly warn: (message: string) => void = (m) => console.error(m),
  ) {
    this.placement = readPlacement(path);
    this.stamp = this.currentStamp();
  }

  current(): Placement {
    const stamp = this.currentStamp();
    if (stamp !== this.stamp) {
      this.stamp = stamp;
      try {
        this.placement = readPlacement(this.path);
      } catch (error) {
        this.warn(
          `placement file ${this.path}: ${(error as Error).message}; keeping version ${this.placement.version}`,
        );
      }
    }
    return this.placement;
  }

  private currentStamp(): string {
    try {
      const s = statSync(this.path, { bigint: true });
      return `${s.ino}.${s.size}.${s.mtimeNs}`;
    } catch {
      return "missing";
    }
  }
}
