import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { unpack } from "msgpackr";
import { AppError } from "../core/errors.ts";
import { openDatabase } from "../tenancy/open-database.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import type { DiffPages } from "./diff-pages.worker.ts";
import { fileHash, hashesFromBytes, pageHash } from "./page-hashes.ts";

export interface ApplyPagesParams {
  /** The copy pulled from the source (not yet a workspace of this host). */
  incoming: string;
  /** The source's packed DiffPages. */
  diff: string;
  /** The copy's pages' hashes as it arrived (hash-pages.worker.ts). */
  hashes: string;
}

export interface ApplyPagesResult {
  pages: number;
  size: number;
  /** Writing the pages, syncing and hashing the file; then opening it and checking its state. */
  applyMs: number;
  checkMs: number;
}

/**
 * The destination side of a move's catch-up: writes the pages the source sent over the copy,
 * cuts it to the source's size, syncs it to disk, and checks it: the same whole-file hash as
 * the source's frozen file, the workspace's own id inside and its writes still frozen (they are
 * thawed only once placement points here). Any mismatch refuses the copy.
 */
const applyPages: TaskHandler<ApplyPagesParams, ApplyPagesResult> = (input) => {
  const { incoming, diff } = input.params;
  const copied = hashesFromBytes(readFileSync(input.params.hashes));
  const answer = unpack(readFileSync(diff)) as DiffPages;
  const { size, pageSize, data } = answer;
  const indexes = new Uint32Array(
    answer.indexes.buffer.slice(
      answer.indexes.byteOffset,
      answer.indexes.byteOffset + answer.indexes.byteLength,
    ),
  );
  const started = performance.now();
  const fd = openSync(incoming, "r+");
  try {
    indexes.forEach((n, i) => {
      const page = data.subarray(i * pageSize, Math.min((i + 1) * pageSize, data.byteLength));
      writeSync(fd, page, 0, page.byteLength, n * pageSize);
    });
    ftruncateSync(fd, size);
    fsyncSync(fd);
    // The copy's pages as hashed when it arrived, with the pages just written in place of theirs:
    // the whole-file hash of what is now on disk, without reading 100 MB again inside the freeze.
    const hashes = new BigUint64Array(Math.ceil(size / pageSize));
    hashes.set(copied.subarray(0, hashes.length));
    indexes.forEach((n, i) => {
      hashes[n] = pageHash(data.subarray(i * pageSize, Math.min((i + 1) * pageSize, data.byteLength)));
    });
    const hash = fileHash(hashes, size);
    if (hash !== answer.hash)
      throw new AppError(409, "Conflict", "the copy does not match the source's file after catch-up");
  } finally {
    closeSync(fd);
  }
  const appliedMs = performance.now() - started;
  const sqlite = openDatabase(incoming, { create: false });
  try {
    // The copy is the source's file byte for byte (the hash above); the source ran quick_check
    // before the copy, outside the freeze (~1 s for 140 MB). Opening it and reading its state
    // proves it is a database of this schema, this workspace's, still frozen.
    const state = sqlite
      .query("SELECT tenant_id AS id, frozen_since AS frozen FROM shard_state WHERE id = 1")
      .get() as {
      id: string;
      frozen: number | null;
    } | null;
    if (state?.id !== input.tenantId)
      throw new AppError(
        409,
        "Conflict",
        `the copy belongs to workspace ${state?.id}, not ${input.tenantId}`,
      );
    if (state.frozen === null) throw new AppError(409, "Conflict", "the copy's writes are not frozen");
  } finally {
    sqlite.close(false);
  }
  return {
    pages: indexes.length,
    size,
    applyMs: Math.round(appliedMs),
    checkMs: Math.round(performance.now() - started - appliedMs),
  };
};

export default applyPages;
