import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  DOUBLE,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  type DuckDBInstance,
  VARCHAR,
} from "@duckdb/node-api";
import type { Row } from "./tenant-reader.ts";
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
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

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

/** One staged table: a tenant column, then the warehouse's columns as DOUBLE or VARCHAR. */
class StagedTable {
  private appender: DuckDBAppender | undefined;
  private readonly types;
  rows = 0;

  constructor(
    readonly name: string,
    readonly columns: ColumnSpec[],
  ) {
    this.types = [VARCHAR, ...columns.map((c) => (c.staged === "DOUBLE" ? DOUBLE : VARCHAR))];
  }

  async create(connection: DuckDBConnection): Promise<void> {
    this.appender?.closeSync();
    this.rows = 0;
    const columns = this.columns.map((c) => `${quote(c.name)} ${c.staged}`).join(", ");
    await connection.run(`CREATE OR REPLACE TABLE ${quote(this.name)} (tenant VARCHAR, ${columns})`);
    this.appender = await connection.createAppender(this.name);
  }

  /** Appends `rows` (the warehouse's columns, in order) for `tenantId`, a data chunk at a time. */
  append(tenantId: string, rows: Row[]): void {
    if (!this.appender) throw new Error(`${this.name} is not created`);
    const width = this.columns.length;
    for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
      const slice = rows.slice(start, start + CHUNK_ROWS);
      const columns: (number | string | null)[][] = [slice.map(() => tenantId)];
      for (let c = 0; c < width; c++) {
        const staged = this.columns[c]?.staged;
        columns.push(
          slice.map((row) => {
            const value = row[c] ?? null;
            if (value === null) return null;
            if (staged === "VARCHAR") return String(value);
            // A number that is not one (a stage id written as text in a payload) is no id: null.
            const n = Number(value);
            return Number.isFinite(n) ? n : null;
          }),
        );
      }
      const chunk = DuckDBDataChunk.create(this.types, slice.length);
      chunk.setColumns(columns);
      this.appender.appendDataChunk(chunk);
    }
    this.rows += rows.length;
  }

  flush(): void {
    this.appender?.flushSync();
  }

  close(): void {
    this.appender?.closeSync();
    this.appender = undefined;
  }

  select(): string {
    return this.columns.map(outExpression).join(", ");
  }
}

/**
 * DuckDB (in memory) holding a batch of tenants' rows until they are written as Parquet: rows
 * go in through the appender, out through one `COPY … TO` per bucket file.
 */
export class Staging {
  readonly interactions = new StagedTable("staged_interactions", INTERACTION_COLUMNS);
  readonly dimensions = new Map(
    DIMENSIONS.map((d) => [d.name, new StagedTable(`staged_${d.name}`, d.columns)]),
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

  get rows(): number {
    return this.interactions.rows;
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
          await connection.run(`COPY (${this.selectOf(write)}) TO ${literal(path)} (FORMAT parquet)`);
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
    if (write.tenants.length > 0)
      parts.push(
        `SELECT tenant, ${interactions ? "CAST(epoch_ms(CAST(occurred_at AS BIGINT)) AS DATE) AS day, " : ""}${table.select()}
         FROM ${quote(table.name)} WHERE tenant IN (${list(write.tenants)})`,
      );
    if (write.keep.length > 0)
      parts.push(
        `SELECT tenant, ${interactions ? "day, " : ""}${names}
         FROM read_parquet([${list(write.keep)}], hive_partitioning = false)
         ${write.replaced.length > 0 ? `WHERE tenant NOT IN (${list(write.replaced)})` : ""}`,
      );
    if (parts.length === 0)
      parts.push(
        `SELECT tenant, ${interactions ? "CAST(NULL AS DATE) AS day, " : ""}${table.select()} FROM ${quote(table.name)} WHERE false`,
      );
    const order = interactions ? "ORDER BY tenant, id" : "ORDER BY ALL";
    return `SELECT * FROM (${parts.join("\n UNION ALL \n")}) ${order}`;
  }

  close(): void {
    this.interactions.close();
    for (const table of this.dimensions.values()) table.close();
    for (const connection of this.writers) connection.closeSync();
  }
}
