import type { Database } from "bun:sqlite";
import { RetryLaterError } from "../core/errors.ts";
import { runInTransaction } from "./open-database.ts";

/** What a frozen workspace's writes are told to wait: a move's freeze is meant to last under 2 s. */
export const FROZEN_RETRY_AFTER_SECONDS = 2;

/**
 * A write refused because the workspace is being moved to another host (`crm cluster move`):
 * 503 with Retry-After; nothing of it was written. Reads go on.
 */
export class WorkspaceFrozenError extends RetryLaterError {
  constructor() {
    super(
      503,
      "this workspace is moving to another server: nothing was saved; try again in a few seconds",
      FROZEN_RETRY_AFTER_SECONDS,
    );
    Object.defineProperty(this, "title", { value: "Workspace moving" });
  }
}

/**
 * Sets the freeze marker in the file (shard_state.frozen_since): from its commit on, every
 * write transaction through Shard.transaction, in any process or worker, reads it inside its
 * BEGIN IMMEDIATE and rolls back. Freezing a frozen file keeps its first time. Returns when
 * the freeze began.
 */
export function freezeWrites(sqlite: Database, now = Date.now()): number {
  return runInTransaction(sqlite, () => {
    sqlite.query("UPDATE shard_state SET frozen_since = coalesce(frozen_since, ?) WHERE id = 1").run(now);
    return frozenSince(sqlite) ?? now;
  });
}

/** Clears the freeze marker: writes are accepted again from its commit on. */
export function unfreezeWrites(sqlite: Database): void {
  runInTransaction(sqlite, () => {
    sqlite.query("UPDATE shard_state SET frozen_since = NULL WHERE id = 1").run();
  });
}

/** Since when the file's writes are frozen (ms), or undefined when it is writable. */
export function frozenSince(sqlite: Database): number | undefined {
  const row = sqlite.query("SELECT frozen_since AS t FROM shard_state WHERE id = 1").get() as {
    t: number | null;
  } | null;
  return row?.t ?? undefined;
}

/**
 * Whether `error` is a frozen workspace's refusal: bookkeeping a read does (a session's expiry,
 * a key's last use) skips it, so a read never becomes a 503 during a move.
 */
export function isFrozen(error: unknown): boolean {
  return error instanceof WorkspaceFrozenError;
}
