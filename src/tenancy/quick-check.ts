import { threadFile } from "../core/app-files.ts";

/** A quick_check that took longer than this is abandoned (its thread stopped). */
const QUICK_CHECK_LIMIT_MS = 10 * 60_000;

/**
 * SQLite's `PRAGMA quick_check` over the file at `path`, off the server's thread: its lines
 * (`["ok"]` for a sound file). Run once when a workspace is first found damaged, for the log.
 */
export function quickCheckOffThread(path: string): Promise<string[]> {
  return new Promise((resolve) => {
    const worker = new Worker(threadFile("src/tenancy/quick-check.worker.ts"));
    const done = (lines: string[]) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(lines);
    };
    const timer = setTimeout(
      () => done([`quick_check did not finish in ${QUICK_CHECK_LIMIT_MS / 1000} s`]),
      QUICK_CHECK_LIMIT_MS,
    );
    worker.onmessage = (event: MessageEvent<string[]>) => done(event.data);
    worker.onerror = (event) => done([`quick_check failed: ${event.message}`]);
    worker.postMessage({ path });
  });
}
