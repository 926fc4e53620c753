import type { Database } from "bun:sqlite";
import { closeSync, openSync, writeFileSync } from "node:fs";
import { pack } from "msgpackr";
import { AppError } from "../core/errors.ts";
import { openDatabase } from "../tenancy/open-database.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import { fileHash, hashesFromBytes, hashFilePages } from "./page-hashes.ts";

export interface DiffPagesParams {
  /** The destination's copy: its page size and every page's hash (hashesToBytes). */
  pageSize: number;
  hashes: Uint8Array;
  /** Where to write the packed answer (a DiffPages), for the route to send. */
  out: string;
}

/** What the destination needs to make its copy equal to the source's file (msgpackr on the wire). */
export interface DiffPages {
  size: number;
  pageSize: number;
  /** fileHash of the source's file as read. */
  hash: string;
  /** The differing pages' numbers (u32, 0-based) and their bytes, in that order. */
  indexes: Uint8Array;
  data: Uint8Array;
}

export interface DiffPagesResult {
  size: number;
  pages: number;
  bytes: number;
  /** Tries the checkpoint needed before every frame was in the file, and the time it took. */
  tries: number;
  settleMs: number;
  /** Time spent reading, hashing and packing. */
  diffMs: number;
}

/** How long the checkpoint may keep trying to find no writer and every frame copied back. */
const SETTLE_MS = 5_000;

/**
 * The source side of a move's catch-up, once the workspace's writes are frozen: copies the
 * whole write-ahead log back into the file (a FULL checkpoint, tried again until no writer is in
 * the way and every frame is in), then reads the file and keeps the pages whose hash differs
 * from the destination's. A read transaction is held from before the checkpoint to the end of
 * the read: no later checkpoint may write into the file under it, so the pages read are one
 * consistent state (a bookkeeping write after the freeze, a session's last use, stays in the
 * log and is not carried: it was never a client's acknowledged write).
 */
const diffPages: TaskHandler<DiffPagesParams, DiffPagesResult> = (input, context) => {
  const path = context.shard("read").path;
  if (!path) throw new Error("diff-pages: the shard has no path");
  const { pageSize, out } = input.params;
  const theirs = hashesFromBytes(input.params.hashes);
  const pin = openDatabase(path, { create: false, busyTimeoutMs: 1000 });
  const checkpointer = openDatabase(path, { create: false, busyTimeoutMs: 200 });
  try {
    const started = performance.now();
    const tries = settle(pin, checkpointer);
    const settledMs = performance.now() - started;
    try {
      const ownPageSize = Number(pin.query("PRAGMA page_size").values()[0]?.[0]);
      if (ownPageSize !== pageSize)
        throw new AppError(409, "Conflict", `page size ${pageSize} sent, the file's is ${ownPageSize}`);
      const fd = openSync(path, "r");
      try {
        const indexes: number[] = [];
        const pages: Uint8Array[] = [];
        const { hashes, size } = hashFilePages(fd, pageSize, (n, page, hash) => {
          if (n >= theirs.length || theirs[n] !== hash) {
            indexes.push(n);
            pages.push(page.slice());
          }
        });
        const data = new Uint8Array(pages.length * pageSize);
        pages.forEach((page, i) => {
          data.set(page, i * pageSize);
        });
        const answer: DiffPages = {
          size,
          pageSize,
          hash: fileHash(hashes, size),
          indexes: new Uint8Array(Uint32Array.from(indexes).buffer),
          data,
        };
        const packed = pack(answer);
        writeFileSync(out, packed);
        return {
          size,
          pages: indexes.length,
          bytes: packed.byteLength,
          tries,
          settleMs: Math.round(settledMs),
          diffMs: Math.round(performance.now() - started - settledMs),
        };
      } finally {
        closeSync(fd);
      }
    } finally {
      pin.run("COMMIT");
    }
  } finally {
    checkpointer.close(false);
    pin.close(false);
  }
};

/**
 * Opens a read transaction on `pin` and checkpoints with `checkpointer` until the checkpoint
 * met no writer and copied every frame (so the file alone holds `pin`'s state); leaves the
 * read transaction open. Refuses a file that is not frozen: its writers would go on.
 */
function settle(pin: Database, checkpointer: Database): number {
  const until = Date.now() + SETTLE_MS;
  for (let tries = 1; ; tries++) {
    pin.run("BEGIN");
    const frozen = pin.query("SELECT frozen_since AS t FROM shard_state WHERE id = 1").get() as {
      t: number | null;
    } | null;
    if (frozen?.t == null) {
      pin.run("COMMIT");
      throw new AppError(409, "Conflict", "the workspace's writes are not frozen: freeze them first");
    }
    const [busy, log, done] = (
      checkpointer.query("PRAGMA wal_checkpoint(FULL)").values()[0] ?? [1, 0, 0]
    ).map(Number);
    if (busy === 0 && log === done) return tries;
    pin.run("COMMIT");
    if (Date.now() > until)
      throw new AppError(
        503,
        "Service Unavailable",
        "the workspace's log could not be checkpointed; try again",
      );
    Bun.sleepSync(20);
  }
}

export default diffPages;
