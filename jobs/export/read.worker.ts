/**
 * One of the export's reader threads (read-pool.ts): reads the workspace files it is handed, one
 * at a time, each opened read-only by this thread, and hands back their rows as typed columns,
 * transferred. Past ROWS_IN_FLIGHT rows handed over and not yet appended, it waits.
 */
import { type ReadAnswer, type ReadMessage, ROWS_IN_FLIGHT } from "./read-pool.ts";
import { readTenant, UnreadableFileError } from "./tenant-read.ts";

declare const self: Worker;

let inFlight = new Int32Array(new SharedArrayBuffer(4));

self.onmessage = (event: MessageEvent<ReadMessage>) => {
  const message = event.data;
  if (message.type === "init") {
    inFlight = new Int32Array(message.inFlight);
    return;
  }
  const { seq, request } = message;
  try {
    const outcome = readTenant(request, (batch) => {
      for (let now = Atomics.load(inFlight, 0); now > ROWS_IN_FLIGHT; now = Atomics.load(inFlight, 0))
        Atomics.wait(inFlight, 0, now, 1000);
      Atomics.add(inFlight, 0, batch.rows);
      const buffers = batch.columns.flatMap((c) => (Array.isArray(c) ? [] : [c.buffer as ArrayBuffer]));
      postMessage({ type: "batch", seq, batch } satisfies ReadAnswer, buffers);
    });
    postMessage({ type: "done", seq, outcome } satisfies ReadAnswer);
  } catch (error) {
    postMessage({
      type: "failed",
      seq,
      unreadable: error instanceof UnreadableFileError,
      message: (error as Error).message,
    } satisfies ReadAnswer);
  }
};
