import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { writeFileDurably } from "../core/durable-file.ts";

/**
 * The steps of `crm cluster move`, in order. Each is safe to run again after a crash in it
 * (README "Moving a tenant"): copy (the destination pulls the live file), freeze (the source
 * refuses writes), catch-up (the destination fetches the pages that differ, checks and installs
 * the copy, still frozen), flip (placement names the destination), thaw (the destination takes
 * writes), reload (the operator's nginx reload command, if given), retire (the source sets its
 * copy aside).
 */
export const MOVE_STEPS = ["copy", "freeze", "catch-up", "flip", "thaw", "reload", "retire"] as const;
export type MoveStep = (typeof MOVE_STEPS)[number];

/** What a move has done so far, kept on the machine running the command: <data>/moves/<slug>.json. */
export interface MoveJournal {
  slug: string;
  tenantId: string;
  from: string;
  to: string;
  done: MoveStep[];
  startedAt: number;
  /** The process running it (another one alive refuses to run the same move). */
  pid: number;
  /** When the freeze was asked (ms), when placement was flipped, when the destination took writes again. */
  frozenAt?: number;
  flippedAt?: number;
  thawedAt?: number;
  copyBytes?: number;
  catchUpBytes?: number;
}

export function journalPath(dataDir: string, slug: string): string {
  return join(dataDir, "moves", `${slug}.json`);
}

export function readJournal(dataDir: string, slug: string): MoveJournal | undefined {
  const path = journalPath(dataDir, slug);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as MoveJournal;
  } catch (error) {
    throw new Error(
      `the move's journal ${path} cannot be read (${(error as Error).message}): fix or remove it`,
    );
  }
}

/**
 * Writes the journal whole or not at all (temporary file, fsync, rename), readable by its owner
 * only: a kill never leaves half of it. Its folder is not fsynced: the journal is written inside
 * a move's freeze, where each folder fsync would add ~4 ms; after a power cut an older journal
 * may come back, and the steps it no longer lists run again (each is safe to).
 */
export function writeJournal(dataDir: string, journal: MoveJournal): void {
  mkdirSync(join(dataDir, "moves"), { recursive: true, mode: 0o700 });
  writeFileDurably(journalPath(dataDir, journal.slug), `${JSON.stringify(journal, null, 2)}\n`, {
    mode: 0o600,
    syncFolder: false,
  });
}

/** Files a finished (or rolled back) move's journal under <data>/moves/done/, for the record. */
export function closeJournal(
  dataDir: string,
  journal: MoveJournal,
  outcome: "moved" | "rolled-back",
): string {
  const dir = join(dataDir, "moves", "done");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const to = join(dir, `${journal.slug}.${stamp}.${outcome}.json`);
  renameSync(journalPath(dataDir, journal.slug), to);
  return to;
}

/** The first step not yet done, or undefined when the move is complete. */
export function nextStep(journal: MoveJournal): MoveStep | undefined {
  return MOVE_STEPS.find((step) => !journal.done.includes(step));
}
