import type { Shard } from "../tenancy/shard.ts";

/**
 * What every task is given: the tenant and its file (relative to the data directory), and the
 * task's own parameters. Plain data only: never a Shard, rows in bulk, or a request.
 */
export interface TaskInput<P = unknown> {
  tenantId: string;
  slug: string;
  file: string;
  params: P;
}

/** What a task may ask of the worker running it. */
export interface TaskContext {
  /**
   * The tenant's file, opened by this worker and kept open for its next tasks: "read" opens it
   * read-only (query_only), "write" for writing (a long busy timeout is fine off the server's thread).
   */
  shard(mode: "read" | "write"): Shard;
}

/** A task: a plain function of its input, run in a worker thread. What it returns is packed with msgpackr. */
export type TaskHandler<P = never, R = unknown> = (
  input: TaskInput<P>,
  context: TaskContext,
) => R | Promise<R>;

/** What crosses to the worker for one run. */
export interface TaskRequest {
  task: string;
  dataDir: string;
  input: TaskInput;
}

/**
 * What crosses back: the result packed by msgpackr (measured: ~5× less main-thread time than
 * structured clone for 200,000 small objects), or an error the server knows how to answer.
 */
export type TaskReply =
  | { ok: true; packed: Uint8Array }
  | {
      ok: false;
      status: number;
      title: string;
      message: string;
      issues?: { field: string; message: string }[];
      /** The field a 400 (BadRequestError) names, if any. */
      field?: string;
      /** A 429 or 503's wait (RetryLaterError: e.g. a workspace frozen while it moves), if any. */
      retryAfterSeconds?: number;
    };
