import { spawnSync } from "node:child_process";
import { renameSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname } from "node:path";
import { fsyncPath } from "../../src/core/durable-file.ts";

/** Past this many paths, one flush of the whole file system beats an fsync each (≈ 1 ms apiece here). */
const SYNCFS_FROM = 32;

/**
 * Makes `paths` (files and folders) durable. A few: `fsync` each. Many (an export writes one
 * file per tenant and day): `syncfs` of the file system holding `root` (coreutils
 * `sync -f`), which flushes them all in one call; an fsync each if that is not available.
 */
export function makeDurable(root: string, paths: Iterable<string>): void {
  const list = [...paths];
  if (list.length === 0) return;
  if (list.length >= SYNCFS_FROM) {
    const result = spawnSync("sync", ["-f", root], { stdio: "ignore" });
    if (result.status === 0) return;
  }
  for (const path of list) fsyncPath(path);
}

/**
 * Makes `paths` (files and folders) durable, an fsync each, all under way at once (the disk
 * overlaps them): what one batch of an export writes, at most a few hundred paths.
 */
export async function makeDurableAll(paths: Iterable<string>): Promise<void> {
  await Promise.all(
    [...new Set(paths)].map(async (path) => {
      const handle = await open(path, "r");
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }),
  );
}

/**
 * Puts files written under temporary names in place durably: each made durable (fsync), then
 * renamed to its target, then the targets' folders made durable; returns each file's size, in
 * `files`' order. Until it returns, a crash leaves some files renamed and none listed yet.
 */
export async function placeDurably(files: { path: string; target: string }[]): Promise<number[]> {
  await makeDurableAll(files.map((f) => f.path));
  const folders = new Set<string>();
  const sizes = files.map(({ path, target }) => {
    const size = statSync(path).size;
    renameSync(path, target);
    folders.add(dirname(target));
    return size;
  });
  await makeDurableAll(folders);
  return sizes;
}
