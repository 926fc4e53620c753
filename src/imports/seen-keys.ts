import { Database } from "bun:sqlite";

/**
 * The rows of a file seen so far by their match key (an email, a name and company), to find a
 * record named twice in one file. Kept in a private temporary database that SQLite spills to
 * disk, not in a JavaScript map: a file of ten million rows must not need gigabytes.
 */
export class SeenKeys {
  private readonly db = new Database("");
  private readonly insert;
  private readonly find;

  constructor() {
    this.db.run("PRAGMA journal_mode = OFF");
    this.db.run("PRAGMA synchronous = OFF");
    this.db.run("PRAGMA cache_size = -16000");
    this.db.run("CREATE TABLE seen (key TEXT PRIMARY KEY, row INTEGER NOT NULL) WITHOUT ROWID");
    this.insert = this.db.query("INSERT INTO seen (key, row) VALUES (?, ?) ON CONFLICT DO NOTHING");
    this.find = this.db.query("SELECT row FROM seen WHERE key = ?");
  }

  /** Records `key` for `row`; if an earlier row had it, returns that row instead. */
  firstRow(key: string, row: number): number | undefined {
    if (this.insert.run(key, row).changes === 1) return undefined;
    return (this.find.get(key) as { row: number }).row;
  }

  close(): void {
    this.db.close();
  }
}
