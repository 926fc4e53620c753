import { mkdirSync, readdirSync, rmSync } from "node:fs";
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
  partitionDir,
  snapshotPath,
} from "./warehouse-layout.ts";

/** How the export's temporary files start: never read as data (not `*.parquet`), swept at the next start. */
export const TEMPORARY_PREFIX = "_tmp-";
/** Partitions one COPY writes at most: DuckDB keeps a buffer per partition until the COPY ends. */
const PARTITIONS_PER_COPY = 500;
/** DuckDB's vector size: a data chunk holds at most this many rows. */
const CHUNK_ROWS = 2048;

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** A staged file, written by DuckDB into the staging folder, before it is renamed into the warehouse. */
export interface StagedFile {
  /** `interactions` or a dimension's name. */
  table: string;
  tenantId: string;
  /** Interactions only: the partition's day and its first id (the file's final name). */
  day?: string;
  firstId?: number;
  path: string;
}

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
 * go in through the appender, out through one partitioned `COPY … TO` per table.
 */
export class Staging {
  readonly interactions = new StagedTable("staged_interactions", INTERACTION_COLUMNS);
  readonly dimensions = new Map(
    DIMENSIONS.map((d) => [d.name, new StagedTable(`staged_${d.name}`, d.columns)]),
  );

  private constructor(
    private readonly connection: DuckDBConnection,
    private readonly writers: DuckDBConnection[],
    private readonly partitionsPerCopy: number,
  ) {}

  /**
   * `writers` connections write the partition files side by side, each its own range of
   * partitions (a small file costs DuckDB ~2 ms of CPU, mostly setting up its buffers: with
   * one writer per core, the files of a batch take about half the time on two cores).
   */
  static async create(
    instance: DuckDBInstance,
    writers = 1,
    partitionsPerCopy = PARTITIONS_PER_COPY,
  ): Promise<Staging> {
    const connect = async () => {
      const connection = await instance.connect();
      // One thread per COPY, and rows sorted by partition: each partition is then written whole,
      // into one file, in id order, before the next begins (measured: 4× faster than keeping
      // every partition's file open at once, which spilled to disk).
      await connection.run("SET threads = 1");
      return connection;
    };
    const connection = await connect();
    const others = await Promise.all(Array.from({ length: Math.max(0, writers - 1) }, connect));
    const staging = new Staging(connection, [connection, ...others], Math.max(1, partitionsPerCopy));
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
   * Writes the batch into the warehouse's own folders under temporary names
   * (`<partition folder>/_tmp-<token>-….tmp`, which no `*.parquet` glob reads) and returns each
   * file with its final identity; the caller makes them durable and renames them in place.
   * Written beside their final name, not in a staging tree: on a host with thousands of
   * partitions, each folder made and removed again cost as much as the file itself.
   * A dimension a tenant has no rows of gets an empty file of its own: the snapshot is whole.
   */
  async write(
    warehouse: string,
    token: string,
    tenantIds: string[],
    onFiles?: (done: number, total: number) => void,
  ): Promise<StagedFile[]> {
    const files: StagedFile[] = [];
    let copy = 0;
    /** Writes `select` into `target` partitioned by `columns`, under names of this COPY. */
    const partitioned = async (
      select: string,
      target: string,
      columns: string,
      connection = this.connection,
    ) => {
      const prefix = `${TEMPORARY_PREFIX}${token}-${copy++}-`;
      await connection.run(
        `COPY (${select}) TO ${literal(target)} (FORMAT parquet, PARTITION_BY (${columns}), WRITE_PARTITION_COLUMNS false,
           OVERWRITE_OR_IGNORE, FILENAME_PATTERN ${literal(`${prefix}{i}`)}, FILE_EXTENSION 'tmp')`,
      );
      return prefix;
    };
    this.interactions.flush();
    if (this.interactions.rows > 0) {
      const day = "strftime(epoch_ms(CAST(occurred_at AS BIGINT)), '%Y-%m-%d')";
      // Rows in partition order, each partition numbered (p): a COPY then takes a range of
      // them. One COPY of every partition at once held a buffer per partition until its end
      // (measured: out of 1 GB at 15,000 partitions). A table, not a temporary one: every
      // writer's connection reads it.
      await this.connection.run(
        `CREATE OR REPLACE TABLE sorted_interactions AS
         SELECT ${day} AS day, dense_rank() OVER (ORDER BY tenant, ${day}) AS p, *
         FROM staged_interactions ORDER BY tenant, day, id`,
      );
      const reader = await this.connection.runAndReadAll(
        "SELECT day, tenant, CAST(min(id) AS BIGINT), p FROM sorted_interactions GROUP BY day, tenant, p ORDER BY p",
      );
      const partitions = reader.getRows().map(([d, t, firstId, p]) => ({
        day: String(d),
        tenantId: String(t),
        firstId: Number(firstId),
        p: Number(p),
      }));
      const groups: (typeof partitions)[] = [];
      for (let start = 0; start < partitions.length; start += this.partitionsPerCopy)
        groups.push(partitions.slice(start, start + this.partitionsPerCopy));
      let next = 0;
      let written = 0;
      const byGroup: StagedFile[][] = [];
      // Each writer takes the next range of partitions until none is left.
      await Promise.all(
        this.writers.map(async (connection) => {
          for (let g = next++; g < groups.length; g = next++) {
            const group = groups[g] ?? [];
            const [first, last] = [group[0]?.p ?? 0, group[group.length - 1]?.p ?? 0];
            const prefix = await partitioned(
              `SELECT day, tenant, ${this.interactions.select()} FROM sorted_interactions
               WHERE p BETWEEN ${first} AND ${last} ORDER BY p, id`,
              join(warehouse, INTERACTIONS),
              "day, tenant",
              connection,
            );
            const mine: StagedFile[] = [];
            for (const { day: partitionDay, tenantId, firstId, p } of group) {
              const path = await this.oneFile(
                partitionDir(warehouse, partitionDay, tenantId),
                prefix,
                `SELECT ${this.interactions.select()} FROM sorted_interactions WHERE p = ${p} ORDER BY id`,
                connection,
              );
              mine.push({ table: INTERACTIONS, tenantId, day: partitionDay, firstId, path });
            }
            byGroup[g] = mine;
            written += group.length;
            onFiles?.(written, partitions.length);
          }
        }),
      );
      for (const group of byGroup) files.push(...group);
      await this.connection.run("DROP TABLE sorted_interactions");
    }
    // The dimensions too are shared by the writers, one table at a time each.
    const dimensions = [...this.dimensions];
    for (const [, table] of dimensions) table.flush();
    const byDimension: StagedFile[][] = [];
    let nextDimension = 0;
    await Promise.all(
      this.writers.map(async (connection) => {
        for (let d = nextDimension++; d < dimensions.length; d = nextDimension++) {
          const [name, table] = dimensions[d] as [string, StagedTable];
          const mine: StagedFile[] = [];
          const present = new Set<string>();
          if (table.rows > 0) {
            const prefix = await partitioned(
              `SELECT tenant, ${table.select()} FROM ${quote(table.name)} ORDER BY ALL`,
              join(warehouse, name),
              "tenant",
              connection,
            );
            const written = await connection.runAndReadAll(
              `SELECT DISTINCT tenant FROM ${quote(table.name)}`,
            );
            for (const [tenantId] of written.getRows()) {
              const path = await this.oneFile(
                dirname(snapshotPath(warehouse, name, String(tenantId))),
                prefix,
                `SELECT ${table.select()} FROM ${quote(table.name)} WHERE tenant = ${literal(String(tenantId))} ORDER BY ALL`,
                connection,
              );
              present.add(String(tenantId));
              mine.push({ table: name, tenantId: String(tenantId), path });
            }
          }
          for (const tenantId of tenantIds) {
            if (present.has(tenantId)) continue;
            const folder = dirname(snapshotPath(warehouse, name, tenantId));
            mkdirSync(folder, { recursive: true });
            const path = join(folder, `${TEMPORARY_PREFIX}${token}-empty.tmp`);
            await connection.run(
              `COPY (SELECT ${table.select()} FROM ${quote(table.name)} WHERE false) TO ${literal(path)} (FORMAT parquet)`,
            );
            mine.push({ table: name, tenantId, path });
          }
          byDimension[d] = mine;
        }
      }),
    );
    for (const group of byDimension) files.push(...group);
    return files;
  }

  /**
   * The one file a COPY (its names start with `prefix`) wrote into a partition's `folder`;
   * should it have split the partition into several, they are replaced by one file of
   * `select`'s rows (a part is one file).
   */
  private async oneFile(
    folder: string,
    prefix: string,
    select: string,
    connection = this.connection,
  ): Promise<string> {
    const written = readdirSync(folder).filter((f) => f.startsWith(prefix));
    if (written.length === 1 && written[0]) return join(folder, written[0]);
    for (const file of written) rmSync(join(folder, file), { force: true });
    const path = join(folder, `${prefix}whole.tmp`);
    await connection.run(`COPY (${select}) TO ${literal(path)} (FORMAT parquet)`);
    return path;
  }

  close(): void {
    this.interactions.close();
    for (const table of this.dimensions.values()) table.close();
    for (const connection of this.writers) connection.closeSync();
  }
}
