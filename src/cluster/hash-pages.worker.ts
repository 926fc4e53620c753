import { closeSync, openSync, readSync, writeFileSync } from "node:fs";
import type { TaskHandler } from "../workers/task-types.ts";
import { hashesToBytes, hashFilePages, headerPageSize } from "./page-hashes.ts";

export interface HashPagesParams {
  /** The copy a destination pulled, and where to write its pages' hashes. */
  file: string;
  out: string;
}

export interface HashPagesResult {
  pageSize: number;
  pages: number;
  bytes: number;
}

/**
 * Hashes every page of a move's copy once it has arrived (in the pool: ~0.2 s for 140 MB, never
 * on the server's thread), for the catch-up. It also leaves a pool thread started just before
 * the freeze, so the catch-up's own task does not wait the ~0.6 s a cold thread takes.
 */
const hashPages: TaskHandler<HashPagesParams, HashPagesResult> = (input) => {
  const fd = openSync(input.params.file, "r");
  try {
    const header = new Uint8Array(100);
    readSync(fd, header, 0, 100, 0);
    const pageSize = headerPageSize(header);
    const { hashes, size } = hashFilePages(fd, pageSize);
    writeFileSync(input.params.out, hashesToBytes(hashes));
    return { pageSize, pages: hashes.length, bytes: size };
  } finally {
    closeSync(fd);
  }
};

export default hashPages;
