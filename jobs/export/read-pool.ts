import { threadFile } from "../../src/core/app-files.ts";
import {
  type ColumnBatch,
  type ReadOutcome,
  type ReadRequest,
  readTenant,
  UnreadableFileError,
} from "./tenant-read.ts";

// The export's readers (export-warehouse.ts): each workspace's file is read on a thread of its
// own (read.worker.ts), which opens it read-only itself and hands its rows back as typed columns
// (transferred, never copied, never rows of values), while the export's thread appends them to
// DuckDB and writes the files. With no threads, on the export's own thread.

/** Rows a reader thread may have handed over that the export has not appended yet: it waits past this. */
export const ROWS_IN_FLIGHT = 400_000;

export type ReadMessage =
  | { type: "read"; seq: number; request: ReadRequest }
  | { type: "init"; inFlight: SharedArrayBuffer };

export type ReadAnswer =
  | { type: "batch"; seq: number; batch: ColumnBatch }
  | { type: "done"; seq: number; outcome: ReadOutcome }
  | { type: "failed"; seq: number; unreadable: boolean; message: string };

/** A tenant's read under way: `consume` hands its batches to `sink`, in order, and ends with its outcome. */
export interface PendingRead {
  consume(sink: (batch: ColumnBatch) => void): Promise<ReadOutcome>;
}

interface Thread {
  worker: Worker;
  inFlight: Int32Array;
  queued: number;
}

interface Entry {
  thread: Thread;
  answers: ReadAnswer[];
  wake?: () => void;
}

/** The batches of a tenant's file, its outcome, or (rethrown) why it could not be read. */
export class ReadPool {
  private readonly threads: Thread[];
  private readonly entries = new Map<number, Entry>();
  private seq = 0;

  /** `threads` reader threads; 0 reads on the caller's thread, when `consume` is called. */
  constructor(threads: number) {
    this.threads = Array.from({ length: threads }, () => {
      const worker = new Worker(threadFile("jobs/export/read.worker.ts"));
      const inFlight = new Int32Array(new SharedArrayBuffer(4));
      worker.postMessage({
        type: "init",
        inFlight: inFlight.buffer as SharedArrayBuffer,
      } satisfies ReadMessage);
      const thread: Thread = { worker, inFlight, queued: 0 };
      worker.onmessage = (event: MessageEvent<ReadAnswer>) => {
        const entry = this.entries.get(event.data.seq);
        if (!entry) return;
        entry.answers.push(event.data);
        entry.wake?.();
      };
      worker.onerror = (event) => {
        // A thread that died: every read it still owes fails, so the export stops with the reason.
        for (const [seq, entry] of this.entries)
          if (entry.thread === thread) {
            entry.answers.push({ type: "failed", seq, unreadable: false, message: event.message });
            entry.wake?.();
          }
      };
      return thread;
    });
  }

  /** Starts reading a tenant's file (on the least busy thread); read its batches in order with `consume`. */
  read(request: ReadRequest): PendingRead {
    const thread = this.threads.reduce<Thread | undefined>(
      (best, t) => (best === undefined || t.queued < best.queued ? t : best),
      undefined,
    );
    if (!thread) return { consume: async (sink) => readTenant(request, sink) };
    const seq = ++this.seq;
    const entry: Entry = { thread, answers: [] };
    this.entries.set(seq, entry);
    thread.queued++;
    thread.worker.postMessage({ type: "read", seq, request } satisfies ReadMessage);
    return {
      consume: async (sink) => {
        try {
          for (;;) {
            const answer = entry.answers.shift();
            if (!answer) {
              await new Promise<void>((wake) => {
                entry.wake = wake;
              });
              entry.wake = undefined;
              continue;
            }
            if (answer.type === "batch") {
              try {
                sink(answer.batch);
              } finally {
                Atomics.sub(thread.inFlight, 0, answer.batch.rows);
                Atomics.notify(thread.inFlight, 0);
              }
            } else if (answer.type === "done") return answer.outcome;
            else if (answer.unreadable) throw new UnreadableFileError(answer.message);
            else throw new Error(answer.message);
          }
        } finally {
          this.entries.delete(seq);
          thread.queued--;
        }
      },
    };
  }

  close(): void {
    for (const thread of this.threads) thread.worker.terminate();
  }
}
