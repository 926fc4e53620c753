/**
 * One thread of the analytics benchmarks' file floor (file-floor.ts): opens each file it is
 * given as the export or the write-back would, does the least either does to a file, and closes it.
 */
import { openDatabase, openReadOnlyDatabase } from "../../src/tenancy/open-database.ts";

declare const self: Worker;

export interface FloorRequest {
  files: string[];
  /** "read": open read-only, read the change counter, close (the export's least per file). "write": also one write transaction (the write-back's least). */
  mode: "read" | "write";
}

self.onmessage = (event: MessageEvent<FloorRequest>) => {
  const { files, mode } = event.data;
  for (const file of files) {
    const sqlite =
      mode === "read"
        ? openReadOnlyDatabase(file)
        : openDatabase(file, { create: false, busyTimeoutMs: 250 });
    try {
      sqlite.query("SELECT change_counter FROM shard_state WHERE id = 1").get();
      if (mode === "write") {
        // A page changed and changed back: the transaction writes its WAL frame, the commit's
        // fsync and, at the close, the checkpoint, and leaves nothing the export or the runner
        // would notice. (A row set to the value it holds is not written at all: SQLite skips
        // it, and that transaction costs 0.02 ms against 1.2 ms here.)
        sqlite.run("BEGIN IMMEDIATE");
        sqlite.run("UPDATE shard_state SET change_counter = change_counter + 1 WHERE id = 1");
        sqlite.run("UPDATE shard_state SET change_counter = change_counter - 1 WHERE id = 1");
        sqlite.run("COMMIT");
      }
    } finally {
      sqlite.close();
    }
  }
  postMessage("done");
};
