import type { TaskHandler } from "../workers/task-types.ts";

/** What one checkpoint did, in write-ahead log frames (pages). */
export interface CheckpointResult {
  /** Frames in the log when it ran. */
  logFrames: number;
  /** Of those, copied back into the file (all of them unless a reader still needs older ones). */
  checkpointedFrames: number;
  /** The log was emptied and its file truncated to nothing. */
  truncated: boolean;
}

/**
 * Copies a workspace's write-ahead log back into its file, in a worker: the server's
 * connections make no automatic checkpoint (that copy stalled its thread, 0.3–0.8 s after an
 * erasure's rewrite), so the server asks for this when a workspace's -wal has grown
 * (ShardManager's `checkpoint` option).
 *
 * PASSIVE first: it takes no lock that a writer waits for, so the workspace's writes go on
 * while the bulk is copied. Then, if everything was copied, TRUNCATE with no busy wait: it
 * takes the write lock only for the few frames committed meanwhile, and empties the file when
 * no reader is in the way; else it gives up at once (the next writer restarts the log anyway).
 */
const checkpoint: TaskHandler<Record<string, never>, CheckpointResult> = (_input, context) => {
  const sqlite = context.shard("write").sqlite;
  const run = (mode: "PASSIVE" | "TRUNCATE") => {
    const [busy, log, done] = (sqlite.query(`PRAGMA wal_checkpoint(${mode})`).values()[0] ?? [1, 0, 0]).map(
      Number,
    );
    return { busy: busy !== 0, log: log ?? 0, done: done ?? 0 };
  };
  const passive = run("PASSIVE");
  const result = { logFrames: passive.log, checkpointedFrames: passive.done, truncated: false };
  if (passive.busy || passive.done < passive.log) return result;
  const previous = Number(sqlite.query("PRAGMA busy_timeout").values()[0]?.[0] ?? 0);
  sqlite.run("PRAGMA busy_timeout = 0");
  try {
    const truncate = run("TRUNCATE");
    return { ...result, truncated: !truncate.busy };
  } finally {
    // The value read back above: a number, never request text.
    sqlite.run(`PRAGMA busy_timeout = ${previous}`);
  }
};

export default checkpoint;
