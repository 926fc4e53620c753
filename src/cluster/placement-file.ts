import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
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
