import type { FloorRequest } from "./file-floor.worker.ts";

/**
 * The least any nightly step spends touching every workspace's file, measured on the same files
 * and threads: each opened as the export (`read`: read-only, the change counter read, closed) or
 * the write-back (`write`: read-write, one write transaction that changes nothing, closed, which
 * checkpoints) opens it, `threads` files at a time. A reference for the export's and the
 * write-back's times: what is left above it is their own work. Returns the wall time in ms.
 */
export async function fileFloor(
  files: string[],
  mode: FloorRequest["mode"],
  threads: number,
): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: threads }, async (_, t) => {
      const worker = new Worker(new URL("./file-floor.worker.ts", import.meta.url).href);
      try {
        await new Promise<void>((resolve, reject) => {
          worker.onmessage = () => resolve();
          worker.onerror = (event) => reject(new Error(event.message));
          const request: FloorRequest = { files: files.filter((_, i) => i % threads === t), mode };
          worker.postMessage(request);
        });
      } finally {
        worker.terminate();
      }
    }),
  );
  return performance.now() - started;
}
