import { join } from "node:path";
import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBPreparedStatement,
  StatementType,
} from "@duckdb/node-api";
import { AppError } from "../../src/core/errors.ts";
import { readManifest, tenantFiles } from "../export/manifest.ts";
import { DIMENSIONS, INTERACTION_COLUMNS, INTERACTIONS, isSafeTenantId } from "../export/warehouse-layout.ts";

/** A script refused or failed for what it asks: one line, exit 2. */
export class QueryRefusedError extends AppError {
  constructor(message: string) {
    super(422, "Unprocessable Content", message);
  }
}

export interface TenantQueryOptions {
  warehouse: string;
  tenantId: string;
  sql: string;
  memory: string;
  threads: number;
  /** The script is stopped (and refused) past this many milliseconds (default 300 s). */
  timeoutMs?: number;
  /**
   * A result with more rows is refused (default 100,000): the rows are held in this process's
   * memory, outside DuckDB's memory limit, so an unbounded result could exhaust the host.
   */
  maxRows?: number;
}

export interface QueryResult {
  columns: string[];
  /** DuckDB's type of each column, e.g. BIGINT, VARCHAR, TIMESTAMP. */
  types: string[];
  rows: unknown[][];
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** The words a script may start with: it reads, and nothing else. */
const READING = new Set(["SELECT", "WITH", "FROM", "VALUES", "TABLE", "("]);

/** The script's first word, past comments and whitespace ("(" for a parenthesised query). */
export function firstKeyword(sql: string): string {
  let rest = sql;
  for (;;) {
    rest = rest.trimStart();
    if (rest.startsWith("--")) {
      const end = rest.indexOf("\n");
      rest = end < 0 ? "" : rest.slice(end + 1);
    } else if (rest.startsWith("/*")) {
      const end = rest.indexOf("*/");
      rest = end < 0 ? "" : rest.slice(end + 2);
    } else break;
  }
  if (rest.startsWith("(")) return "(";
  // Not a plain word (full-width letters, a stray symbol): its first characters, so it is refused by name, not as empty.
  return (/^[A-Za-z_]+/.exec(rest)?.[0] ?? /^\S{1,20}/.exec(rest)?.[0] ?? "").toUpperCase();
}

/**
 * The tenant's slice, loaded into in-memory tables named as the warehouse's (interactions with
 * its `day`; contacts, companies, deals, deal_contacts, stages, pipelines, users, workspace),
 * without the tenant column: only the files the manifest lists in the tenant's bucket are read,
 * and only its rows (`WHERE tenant = …`) loaded, so no other tenant's row is ever in the
 * database the script runs against.
 */
async function loadSlice(connection: DuckDBConnection, warehouse: string, tenantId: string): Promise<void> {
  const manifest = readManifest(warehouse);
  const paths = (table: string) =>
    manifest ? tenantFiles(manifest, table, tenantId).map((file) => literal(join(warehouse, file))) : [];
  const mine = `WHERE tenant = ${literal(tenantId)}`;
  for (const dimension of DIMENSIONS) {
    const files = paths(dimension.name);
    if (!manifest?.tenants[tenantId] || files.length === 0)
      throw new QueryRefusedError(
        `the warehouse ${warehouse} holds no ${dimension.name} of this workspace yet; run crm analytics export first`,
      );
    await connection.run(
      `CREATE TABLE ${dimension.name} AS SELECT * EXCLUDE (tenant) FROM read_parquet([${files.join(", ")}], hive_partitioning = false) ${mine}`,
    );
  }
  const parts = paths(INTERACTIONS);
  const columns = INTERACTION_COLUMNS.map((c) => c.name).join(", ");
  if (parts.length > 0) {
    await connection.run(
      `CREATE TABLE interactions AS SELECT ${columns}, day FROM read_parquet([${parts.join(", ")}], hive_partitioning = false) ${mine}`,
    );
  } else {
    await connection.run(
      `CREATE TABLE interactions (id BIGINT, occurred_at TIMESTAMP, actor_type VARCHAR, actor_id BIGINT, kind VARCHAR,
         subject_type VARCHAR, subject_id BIGINT, stage_from BIGINT, stage_to BIGINT, day DATE)`,
    );
  }
}

/** Closes the door behind the loaded slice: no file, no network, no extension, no setting can change after. */
async function lockDown(connection: DuckDBConnection): Promise<void> {
  await connection.run("SET autoinstall_known_extensions = false");
  await connection.run("SET autoload_known_extensions = false");
  await connection.run("SET enable_external_access = false");
  await connection.run("SET lock_configuration = true");
}

const firstLine = (error: unknown) => String((error as Error).message ?? error).split("\n")[0] ?? "";

/** Prepares the script's one statement, refusing anything but a query. */
async function prepareQuery(connection: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  const keyword = firstKeyword(sql);
  if (keyword === "") throw new QueryRefusedError("the script is empty");
  if (!READING.has(keyword))
    throw new QueryRefusedError(
      `refused: ${keyword} is not allowed; a script only reads, with one SELECT (or WITH … SELECT)`,
    );
  let extracted: Awaited<ReturnType<DuckDBConnection["extractStatements"]>>;
  try {
    extracted = await connection.extractStatements(sql);
  } catch (error) {
    throw new QueryRefusedError(firstLine(error));
  }
  if (extracted.count !== 1)
    throw new QueryRefusedError(`refused: a script is one statement, this one has ${extracted.count}`);
  let prepared: DuckDBPreparedStatement;
  try {
    prepared = await extracted.prepare(0);
  } catch (error) {
    const message = firstLine(error);
    if (/Permission Error|disabled by configuration|external access/i.test(message))
      throw new QueryRefusedError(
        `refused: a script cannot read or write files, or another workspace's data (${message})`,
      );
    throw new QueryRefusedError(message);
  }
  if (prepared.statementType !== StatementType.SELECT)
    throw new QueryRefusedError(
      `refused: ${StatementType[prepared.statementType] ?? "this statement"} is not allowed; a script only reads, with one SELECT (or WITH … SELECT)`,
    );
  return prepared;
}

/**
 * DuckDB shows its settings to any query (duckdb_settings(), current_setting(), the text of an
 * error), so they hold no path of this host: its home, extension and secret folders are set to
 * a folder that does not exist, and it has no spill folder (a spill folder is listed, as an
 * absolute path, among the folders it may still reach once file access is off). Setting the
 * values, rather than refusing the functions that show them by name, leaves no other way to
 * read them. Without a spill folder a script runs within CRM_ANALYTICS_MEMORY (past it, DuckDB's
 * out-of-memory error, exit 2), and no workspace's rows are ever written to the host's temp
 * directory, where a killed query would leave them.
 */
const NO_FOLDER = "/nonexistent";

/**
 * Runs an admin's own read-only script over one tenant's slice of the warehouse, in a DuckDB
 * of its own: the slice is loaded first, then external access and the configuration are
 * locked, and only a single SELECT is prepared and run.
 */
export async function runTenantQuery(options: TenantQueryOptions): Promise<QueryResult> {
  if (!isSafeTenantId(options.tenantId))
    throw new QueryRefusedError("this workspace's id cannot name a folder");
  const instance = await DuckDBInstance.create(":memory:", {
    memory_limit: options.memory,
    threads: String(options.threads),
    temp_directory: "",
    home_directory: NO_FOLDER,
    extension_directory: NO_FOLDER,
    secret_directory: NO_FOLDER,
  });
  const connection = await instance.connect();
  try {
    await loadSlice(connection, options.warehouse, options.tenantId);
    await lockDown(connection);
    const prepared = await prepareQuery(connection, options.sql);
    let reader: Awaited<ReturnType<DuckDBPreparedStatement["streamAndReadUntil"]>>;
    let timedOut = false;
    const timeoutMs = options.timeoutMs ?? 300_000;
    const maxRows = options.maxRows ?? 100_000;
    const timer = setTimeout(() => {
      timedOut = true;
      connection.interrupt();
    }, timeoutMs);
    try {
      reader = await prepared.streamAndReadUntil(maxRows + 1);
    } catch (error) {
      if (timedOut)
        throw new QueryRefusedError(
          `stopped: the script ran past its time limit of ${timeoutMs / 1000} s (--timeout)`,
        );
      throw new QueryRefusedError(firstLine(error));
    } finally {
      clearTimeout(timer);
    }
    if (reader.currentRowCount > maxRows)
      throw new QueryRefusedError(
        `refused: the result has more than ${maxRows.toLocaleString("en-US")} rows (--max-rows); add a LIMIT or aggregate`,
      );
    return {
      columns: reader.columnNames(),
      types: reader.columnTypes().map((t) => t.toString()),
      rows: reader.getRowsJson(),
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
