import { fstatSync, readSync } from "node:fs";

/**
 * Per-page fingerprints of a SQLite file, for a tenant move's catch-up (src/cluster): the
 * destination hashes every page of the copy it pulled, the source hashes its file once writes
 * are frozen and sends back only the pages that differ (all of it in pool threads). xxHash64 (Bun.hash): the hashes never
 * outlive the move, so they are not a file format that must stay stable across versions.
 */

/** The page size a SQLite file's header names (bytes 16–17, big-endian; 1 means 65,536). */
export function headerPageSize(header: Uint8Array): number {
  if (header.byteLength < 100) throw new Error("not a SQLite file: shorter than its header");
  const raw = (header[16] as number) * 256 + (header[17] as number);
  const size = raw === 1 ? 65_536 : raw;
  if (size < 512 || size > 65_536 || (size & (size - 1)) !== 0) throw new Error(`bad page size ${raw}`);
  return size;
}

export function pageHash(page: Uint8Array): bigint {
  return Bun.hash.xxHash64(page);
}

/** One fingerprint of a whole file from its pages' hashes and its size (what both ends compare last). */
export function fileHash(pageHashes: BigUint64Array, size: number): string {
  const sized = new BigUint64Array(pageHashes.length + 1);
  sized.set(pageHashes);
  sized[pageHashes.length] = BigInt(size);
  return Bun.hash.xxHash64(new Uint8Array(sized.buffer)).toString(16).padStart(16, "0");
}

/** The hashes as bytes (little-endian u64s) to send, and back. */
export function hashesToBytes(hashes: BigUint64Array): Uint8Array {
  return new Uint8Array(hashes.buffer, hashes.byteOffset, hashes.byteLength);
}

export function hashesFromBytes(bytes: Uint8Array): BigUint64Array {
  if (bytes.byteLength % 8 !== 0) throw new Error("page hashes: not a whole number of 8-byte hashes");
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new BigUint64Array(copy.buffer);
}

const CHUNK_PAGES = 256;

/**
 * Every page's hash of the open file `fd`, read in chunks (for a pool thread: it blocks), and
 * the file's size; `visit` sees each page (a view valid only during the call) and its hash.
 */
export function hashFilePages(
  fd: number,
  pageSize: number,
  visit?: (n: number, page: Uint8Array, hash: bigint) => void,
): { hashes: BigUint64Array; size: number } {
  const size = fstatSync(fd).size;
  const hashes = new BigUint64Array(Math.ceil(size / pageSize));
  const chunk = new Uint8Array(pageSize * CHUNK_PAGES);
  for (let first = 0; first < hashes.length; first += CHUNK_PAGES) {
    const read = readSync(fd, chunk, 0, chunk.byteLength, first * pageSize);
    for (let at = 0, n = first; at < read; at += pageSize, n++) {
      const page = chunk.subarray(at, Math.min(at + pageSize, read));
      const hash = pageHash(page);
      hashes[n] = hash;
      visit?.(n, page, hash);
    }
  }
  return { hashes, size };
}
