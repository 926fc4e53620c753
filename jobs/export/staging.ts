import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  DOUBLE,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  type DuckDBDoubleVector,
  type DuckDBInstance,
  type DuckDBIntegerVector,
  type DuckDBVarCharVector,
  INTEGER,
  VARCHAR,
} from "@duckdb/node-api";
import type { ColumnBatch } from "./tenant-read.ts";
import {
  type ColumnSpec,
  DIMENSIONS,
  INTERACTION_COLUMNS,
  INTERACTIONS,
  outExpression,
} from "./warehouse-layout.ts";

/** How the export's temporary files start: never read as data (not `*.parquet`), swept at the next start. */
export const TEMPORARY_PREFIX = "_tmp-";
/** DuckDB's vector size: a data chunk holds at most this many rows. */
const CHUNK_ROWS = 2048;

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
/** A text as an SQL literal; a NUL (which ends DuckDB's SQL text) is spliced in as chr(0). */
const literal = (text: string) =>
  text
    .split("\u0000")
    .map((part) => `'${part.replaceAll("'", "''")}'`)
    .join(" || chr(0) || ");

/**
 * One file of a bucket to write: the staged rows of `tenants`, plus the rows kept from the
 * bucket's current files (`keep`, absolute paths) of every tenant but `replaced`'s.
 */
export interface BucketWrite {
  /** `interactions` or a dimension's name. */
  table: string;
  bucket: number;
  /** Its final name, relative to the warehouse (the manifest's entry). */
  file: string;
  tenants: string[];
  keep: string[];
  replaced: string[];
}

/** A written file under its temporary name, beside its final one. */
export interface StagedFile {
  write: BucketWrite;
  path: string;
}

const list = (values: string[]) => values.map(literal).join(", ");
/**
 * Texts as an SQL list of VARCHAR. Only an empty one is cast (it has no type of its own): a
 * cast of a list literal is bound again by every statement, and a bucket file's COPY holds four.
 */
const textList = (values: string[]) => (values.length === 0 ? "CAST([] AS VARCHAR[])" : `[${list(values)}]`);

/**
 * What the staged tables' codes stand for: the tenants (a code each, given in the order their
 * rows are staged, so a bucket's tenants hold one range of codes and DuckDB skips the other
 * buckets' row groups) and the CODE columns' texts (one dictionary for all; 0 is null).
 */
class Codes {
  private readonly tenantCodes = new Map<string, number>();
  readonly tenants: string[] = [];
  private readonly textCodes = new Map<string, number>();
  readonly texts: string[] = [];

  tenant(id: string): number {
    let code = this.tenantCodes.get(id);
    if (code === undefined) {
      code = this.tenants.push(id);
      this.tenantCodes.set(id, code);
    }
    return code;
  }

  /** The code of a text (1…), 0 for null. */
  text(value: unknown): number {
    if (value === null || value === undefined) return 0;
    const text = String(value);
    let code = this.textCodes.get(text);
    if (code === undefined) {
      code = this.texts.push(text);
      this.textCodes.set(text, code);
    }
    return code;
  }

  /** The dictionary as an SQL list: code n is its n-th text. */
  dictionary(): string {
    return textList(this.texts);
  }

  /** The SQL selecting a tenant code's id, for codes `first`…`last`. */
  tenantExpression(first: number, last: number): string {
    return `${textList(this.tenants.slice(first - 1, last))}[tenant - ${first - 1}]`;
  }
}

/**
 * A numeric vector's values as the typed array its flush() copies into DuckDB whole (the
 * library keeps it private; checked, so another version of it fails loudly, never silently).
 */
function itemsOf<T extends Float64Array | Int32Array>(
  vector: DuckDBDoubleVector | DuckDBIntegerVector,
  type: { new (length: number): T },
  length: number,
): T {
  const items = (vector as unknown as { items?: unknown }).items;
  if (!(items instanceof type) || items.length !== length)
    throw new Error(`this version of @duckdb/node-api keeps no ${type.name} in its vectors`);
  return items as T;
}

/** A staged column's values of the rows not yet appended. */
type ColumnBuffer = Float64Array | Int32Array | (string | null)[];

/**
 * One staged table: a tenant code, then the warehouse's columns as DOUBLE, CODE (INTEGER) or
 * VARCHAR. Rows are gathered (across tenants) into typed arrays of a data chunk's size, then
 * copied into the chunk's vectors whole (a numeric vector's values are one typed array), never
 * a value at a time through the appender. A table of numbers and codes only reuses one chunk.
 */
class StagedTable {
  private appender: DuckDBAppender | undefined;
  private readonly types;
  private readonly tenantBuffer = new Int32Array(CHUNK_ROWS);
  private readonly buffers: ColumnBuffer[];
  private readonly reusable: boolean;
  private full:
    | { chunk: DuckDBDataChunk; vectors: ReturnType<DuckDBDataChunk["getColumnVector"]>[] }
    | undefined;
  private pending = 0;
  rows = 0;

  constructor(
    readonly name: string,
    readonly columns: ColumnSpec[],
    private readonly codes: Codes,
  ) {
    this.types = [
      INTEGER,
      ...columns.map((c) => (c.staged === "DOUBLE" ? DOUBLE : c.staged === "CODE" ? INTEGER : VARCHAR)),
    ];
    this.buffers = columns.map((c) =>
      c.staged === "DOUBLE"
        ? new Float64Array(CHUNK_ROWS)
        : c.staged === "CODE"
          ? new Int32Array(CHUNK_ROWS)
          : new Array<string | null>(CHUNK_ROWS).fill(null),
    );
    // A text vector keeps every text assigned to it until the chunk is dropped: a new chunk each time.
    this.reusable = columns.every((c) => c.staged !== "VARCHAR");
  }

  async create(connection: DuckDBConnection): Promise<void> {
    this.appender?.closeSync();
    this.rows = 0;
    this.pending = 0;
    const columns = this.columns
      .map((c) => `${quote(c.name)} ${c.staged === "CODE" ? "INTEGER" : c.staged}`)
      .join(", ");
    await connection.run(`CREATE OR REPLACE TABLE ${quote(this.name)} (tenant INTEGER, ${columns})`);
    this.appender = await connection.createAppender(this.name);
  }

  /** Appends a batch of `tenantId`'s rows (the warehouse's columns, in order, as columns). */
  append(tenantId: string, batch: ColumnBatch): void {
    if (!this.appender) throw new Error(`${this.name} is not created`);
    const tenant = this.codes.tenant(tenantId);
    // The batch's codes are its reader's: each of its texts gets the export's code.
    const codes = new Int32Array(batch.dictionary.length + 1);
    batch.dictionary.forEach((text, i) => {
      codes[i + 1] = this.codes.text(text);
    });
    const width = this.columns.length;
    for (let start = 0; start < batch.rows; ) {
      const n = Math.min(CHUNK_ROWS - this.pending, batch.rows - start);
      const at = this.pending;
      this.tenantBuffer.fill(tenant, at, at + n);
      for (let c = 0; c < width; c++) {
        const staged = this.columns[c]?.staged;
        const buffer = this.buffers[c] as ColumnBuffer;
        const column = batch.columns[c] as ColumnBuffer;
        if (staged === "DOUBLE")
          (buffer as Float64Array).set((column as Float64Array).subarray(start, start + n), at);
        else if (staged === "CODE")
          for (let r = 0; r < n; r++)
            buffer[at + r] = codes[(column as Int32Array)[start + r] as number] as number;
        else for (let r = 0; r < n; r++) buffer[at + r] = (column as (string | null)[])[start + r] ?? null;
      }
      this.pending += n;
      start += n;
      if (this.pending === CHUNK_ROWS) this.appendPending();
    }
    this.rows += batch.rows;
  }

  /** Copies the pending rows into a data chunk and appends it. */
  private appendPending(): void {
    const n = this.pending;
    if (n === 0 || !this.appender) return;
    let target = n === CHUNK_ROWS && this.reusable ? this.full : undefined;
    if (!target) {
      const chunk = DuckDBDataChunk.create(this.types, n);
      target = { chunk, vectors: this.types.map((_, i) => chunk.getColumnVector(i)) };
      if (n === CHUNK_ROWS && this.reusable) this.full = target;
    }
    const [tenants, ...vectors] = target.vectors;
    itemsOf(tenants as DuckDBIntegerVector, Int32Array, n).set(this.tenantBuffer.subarray(0, n));
    tenants?.flush();
    vectors.forEach((vector, c) => {
      const buffer = this.buffers[c] as ColumnBuffer;
      const staged = this.columns[c]?.staged;
      if (staged === "DOUBLE")
        itemsOf(vector as DuckDBDoubleVector, Float64Array, n).set((buffer as Float64Array).subarray(0, n));
      else if (staged === "CODE")
        itemsOf(vector as DuckDBIntegerVector, Int32Array, n).set((buffer as Int32Array).subarray(0, n));
      else
        for (let r = 0; r < n; r++)
          (vector as DuckDBVarCharVector).setItem(r, (buffer as string[])[r] ?? null);
      vector.flush();
    });
    this.appender.appendDataChunk(target.chunk);
    this.pending = 0;
  }

  flush(): void {
    this.appendPending();
    this.appender?.flushSync();
  }

  close(): void {
    this.appender?.closeSync();
    this.appender = undefined;
  }

  select(): string {
    const dictionary = this.codes.dictionary();
    return this.columns.map((c) => outExpression(c, dictionary)).join(", ");
  }
}

/**
 * DuckDB (in memory) holding a batch of tenants' rows until they are written as Parquet: rows
 * go in through the appender, out through one `COPY … TO` per bucket file.
 */
export class Staging {
  private readonly codes = new Codes();
  readonly interactions = new StagedTable("staged_interactions", INTERACTION_COLUMNS, this.codes);
  readonly dimensions = new Map(
    DIMENSIONS.map((d) => [d.name, new StagedTable(`staged_${d.name}`, d.columns, this.codes)]),
  );

  private constructor(
    private readonly connection: DuckDBConnection,
    private readonly writers: DuckDBConnection[],
  ) {}

  /**
   * `writers` connections write the bucket files side by side, a file each at a time (with
   * one writer per core, the files of a batch take about half the time on two cores).
   */
  static async create(instance: DuckDBInstance, writers = 1): Promise<Staging> {
    const connect = async () => {
      const connection = await instance.connect();
      // One thread per COPY: a file is written in its rows' order, the writers side by side.
      await connection.run("SET threads = 1");
      return connection;
    };
    const connection = await connect();
    const others = await Promise.all(Array.from({ length: Math.max(0, writers - 1) }, connect));
    const staging = new Staging(connection, [connection, ...others]);
    await staging.reset();
    return staging;
  }

  /** Empties every staged table (a new batch). */
  async reset(): Promise<void> {
    await this.interactions.create(this.connection);
    for (const table of this.dimensions.values()) await table.create(this.connection);
  }

  /** Rows staged in all tables (interactions and snapshots): what a batch holds in memory. */
  get rows(): number {
    let rows = this.interactions.rows;
    for (const table of this.dimensions.values()) rows += table.rows;
    return rows;
  }

  /** Gives a tenant its code before its rows come: a bucket's tenants get codes in their order. */
  beginTenant(tenantId: string): void {
    this.codes.tenant(tenantId);
  }

  /** Stages a batch of a tenant's rows in its table. */
  append(tenantId: string, batch: ColumnBatch): void {
    const table = batch.table === INTERACTIONS ? this.interactions : this.dimensions.get(batch.table);
    if (!table) throw new Error(`no staged table ${batch.table}`);
    table.append(tenantId, batch);
  }

  /**
   * Writes each bucket file of the batch, one COPY each (the writers' connections take them in
   * turn), under a temporary name in its bucket folder (`_tmp-<token>-<n>.tmp`, never read as
   * data, swept at the next start), and returns them in `writes`' order; the caller makes them
   * durable and renames them in place. Rows go in sorted by tenant then id (interactions) or by
   * every column (snapshots), so a file's bytes depend only on its rows.
   */
  async write(
    warehouse: string,
    token: string,
    writes: BucketWrite[],
    onFiles?: (done: number, total: number) => void,
    onCopied?: (table: string, ms: number) => void,
  ): Promise<StagedFile[]> {
    this.interactions.flush();
    for (const table of this.dimensions.values()) table.flush();
    const files: StagedFile[] = [];
    let next = 0;
    let written = 0;
    await Promise.all(
      this.writers.map(async (connection) => {
        for (let w = next++; w < writes.length; w = next++) {
          const write = writes[w] as BucketWrite;
          const folder = join(warehouse, dirname(write.file));
          mkdirSync(folder, { recursive: true });
          const path = join(folder, `${TEMPORARY_PREFIX}${token}-${w}.tmp`);
          const began = performance.now();
          await connection.run(`COPY (${this.selectOf(write)}) TO ${literal(path)} (FORMAT parquet)`);
          onCopied?.(write.table, performance.now() - began);
          files[w] = { write, path };
          onFiles?.(++written, writes.length);
        }
      }),
    );
    return files;
  }

  /** The rows of one bucket file, in order. */
  private selectOf(write: BucketWrite): string {
    const interactions = write.table === INTERACTIONS;
    const table = interactions ? this.interactions : this.dimensions.get(write.table);
    if (!table) throw new Error(`no staged table ${write.table}`);
    const names = table.columns.map((c) => quote(c.name)).join(", ");
    const parts: string[] = [];
    if (write.tenants.length > 0) {
      // A bucket's tenants were staged one after the other: one range of codes, which lets
      // DuckDB skip the row groups of the batch's other buckets.
      const codes = write.tenants.map((id) => this.codes.tenant(id));
      const first = Math.min(...codes);
      const last = Math.max(...codes);
      // The codes between: most often exactly the tenants' (not when one of them failed).
      const only = new Set(codes).size === last - first + 1 ? "" : ` AND tenant IN (${codes.join(", ")})`;
      parts.push(
        `SELECT ${this.codes.tenantExpression(first, last)} AS tenant,
         ${interactions ? "CAST(epoch_ms(CAST(nullif(occurred_at, 'NaN'::DOUBLE) AS BIGINT)) AS DATE) AS day, " : ""}${table.select()}
         FROM ${quote(table.name)} WHERE tenant BETWEEN ${first} AND ${last}${only}`,
      );
    }
    if (write.keep.length > 0)
      parts.push(
        `SELECT tenant, ${interactions ? "day, " : ""}${names}
         FROM read_parquet([${list(write.keep)}], hive_partitioning = false)
         ${write.replaced.length > 0 ? `WHERE tenant NOT IN (${list(write.replaced)})` : ""}`,
      );
    if (parts.length === 0)
      parts.push(
        `SELECT CAST(NULL AS VARCHAR) AS tenant, ${interactions ? "CAST(NULL AS DATE) AS day, " : ""}${table.select()} FROM ${quote(table.name)} WHERE false`,
      );
    // Staged rows are in order already when the bucket's tenants were staged in the order of
    // their ids (each tenant's rows are read in the order of its file's keys): DuckDB, on one
    // thread, keeps the order the rows went in, so nothing is sorted again. Rows kept from the
    // current files are merged by a sort.
    const codes = write.tenants.map((id) => this.codes.tenant(id));
    const inOrder =
      write.keep.length === 0 &&
      write.tenants.every((id, i) => i === 0 || (write.tenants[i - 1] as string) < id) &&
      codes.every((code, i) => i === 0 || (codes[i - 1] as number) < code);
    const order = inOrder ? "" : interactions ? "ORDER BY tenant, id" : "ORDER BY ALL";
    return `SELECT * FROM (${parts.join("\n UNION ALL \n")}) ${order}`;
  }

  close(): void {
    this.interactions.close();
    for (const table of this.dimensions.values()) table.close();
    for (const connection of this.writers) connection.closeSync();
  }
}
