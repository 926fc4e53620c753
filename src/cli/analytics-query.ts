import { existsSync, readFileSync } from "node:fs";
import { analyticsSettings } from "../../jobs/export/analytics-settings.ts";
import { loadConfig } from "../core/config.ts";
import { loadEmbeddedDuckdb } from "../core/embedded-duckdb.ts";
import { csvRow } from "../privacy/csv.ts";
import { analyticsCluster, exportWarehouseOf } from "./analytics-cluster.ts";
import { type Command, intFlag, stringFlag, UsageError } from "./command.ts";
import { openExistingCatalog } from "./open-data.ts";

const FORMATS = ["csv", "json", "table"] as const;
type Format = (typeof FORMATS)[number];
/** A table cell is cut past this many characters. */
const CELL_WIDTH = 40;
/** A script longer than this is refused unread (a script, not a data file). */
const MAX_SCRIPT_BYTES = 1_000_000;
/** A script still running after this many seconds is stopped (a runaway WITH RECURSIVE, a huge cross join). */
const DEFAULT_TIMEOUT_SECONDS = 300;
/** The rows are held in this process's memory (outside DuckDB's limit) before printing. */
const DEFAULT_MAX_ROWS = 100_000;

interface Result {
  columns: string[];
  types: string[];
  rows: unknown[][];
}

const INTEGER_TYPES = new Set(["BIGINT", "HUGEINT", "UBIGINT", "UHUGEINT"]);

/** JSON values as a reader wants them: whole numbers as numbers where they fit, not strings. */
function plain(result: Result): unknown[][] {
  return result.rows.map((row) =>
    row.map((value, i) => {
      if (typeof value === "string" && INTEGER_TYPES.has(result.types[i] ?? "")) {
        const n = Number(value);
        return Number.isSafeInteger(n) ? n : value;
      }
      return value;
    }),
  );
}

const text = (value: unknown) =>
  value === null || value === undefined
    ? ""
    : typeof value === "object"
      ? JSON.stringify(value)
      : String(value);

function asTable(result: Result, rows: unknown[][]): string {
  const cells = [result.columns, ...rows.map((row) => row.map(text))].map((row) =>
    row.map((cell) =>
      (cell.length > CELL_WIDTH ? `${cell.slice(0, CELL_WIDTH - 1)}…` : cell).replace(/\s/g, " "),
    ),
  );
  const widths = result.columns.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  const [header = [], ...body] = cells;
  const count = `(${rows.length.toLocaleString("en-US")} row${rows.length === 1 ? "" : "s"})`;
  return `${[line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line), count].join("\n")}\n`;
}

function format(result: Result, as: Format): string {
  const rows = plain(result);
  if (as === "json")
    return `${JSON.stringify(rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i] ?? null]))))}\n`;
  if (as === "csv") return [csvRow(result.columns), ...rows.map((row) => csvRow(row.map(text)))].join("");
  return asTable(result, rows);
}

async function readScript(source: string): Promise<string> {
  const script =
    source === "-" ? await Bun.stdin.text() : existsSync(source) ? readFileSync(source, "utf8") : undefined;
  if (script === undefined) throw new UsageError(`no file ${source}`);
  if (Buffer.byteLength(script) > MAX_SCRIPT_BYTES)
    throw new UsageError(`the script is over ${MAX_SCRIPT_BYTES} bytes`);
  return script;
}

export const analyticsQuery: Command = {
  name: "analytics query",
  summary: "run your own read-only SQL over one workspace's slice of the warehouse",
  help: `Usage: crm analytics query --tenant <slug> FILE.sql|- [--format csv|json|table]
                           [--timeout SECONDS] [--max-rows N] [--warehouse DIR] [--data DIR]

Runs one SELECT (or WITH … SELECT) from FILE.sql, or from stdin with "-", over the workspace's
slice of the warehouse, in tables of its own: interactions (with its day), contacts, companies,
deals, deal_contacts, stages, pipelines, users, workspace (as exported: README "Analytics: the
warehouse"). Only that workspace's rows are loaded; then files, extensions and settings are
locked away, and anything but a query (COPY, ATTACH, INSTALL, LOAD, PRAGMA, SET, CREATE, DROP,
INSERT…), or a query that reads a file, is refused with one line (exit 2).

  --tenant <slug>  the workspace
  --format F       csv, json or table (default: table on a terminal, csv otherwise)
  --timeout S      stop the script after S seconds (default 300), exit 2
  --max-rows N     refuse a result of more than N rows (default 100,000; at most 10,000,000), exit 2
  --warehouse DIR  where the warehouse is (default: $CRM_WAREHOUSE_DIR or <data dir>/warehouse;
                   in a cluster the shared one, read in this host's folder: its own workspaces)
  --data DIR       data directory (default: $CRM_DATA or ./data)

DuckDB's memory and threads: CRM_ANALYTICS_MEMORY, CRM_ANALYTICS_THREADS.`,
  options: {
    tenant: { type: "string" },
    format: { type: "string" },
    timeout: { type: "string" },
    "max-rows": { type: "string" },
    warehouse: { type: "string" },
  },
  positionals: 1,
  async run(values, [source = ""]) {
    const slug = stringFlag(values, "tenant");
    const as = (values.format ?? (process.stdout.isTTY ? "table" : "csv")) as Format;
    if (!FORMATS.includes(as)) throw new UsageError(`--format must be csv, json or table, got "${as}"`);
    const timeout = intFlag(values, "timeout", DEFAULT_TIMEOUT_SECONDS);
    if (timeout < 1) throw new UsageError(`--timeout must be at least 1 second, got "${values.timeout}"`);
    const maxRows = intFlag(values, "max-rows", DEFAULT_MAX_ROWS);
    if (maxRows < 1 || maxRows > 10_000_000)
      throw new UsageError(`--max-rows must be from 1 to 10,000,000, got "${values["max-rows"]}"`);
    const config = loadConfig(process.env, { dataDir: values.data as string | undefined });
    const settings = analyticsSettings(process.env, config.dataDir, values.warehouse as string | undefined);
    const cluster = analyticsCluster(config);
    const catalog = openExistingCatalog(config.dataDir);
    let tenantId: string;
    try {
      const tenant = catalog.findBySlug(slug);
      if (!tenant)
        throw new UsageError(`no workspace "${slug}" in ${config.dataDir} (see: crm tenants list)`);
      // As the server, which answers 404 for a workspace that is not active: a suspended one (or
      // one still being set up) is out of service, its data included.
      if (tenant.status !== "active")
        throw new UsageError(
          `workspace "${slug}" is ${tenant.status}: its data is not served, here or on the server (see: crm tenants list)`,
        );
      tenantId = tenant.id;
      // In a cluster, its slice is in its owner's folder of the shared warehouse.
      const owner = cluster?.ownerOf(slug);
      if (cluster && owner !== cluster.host)
        throw new UsageError(`workspace "${slug}" is placed on host ${owner ?? "none"}: query it there`);
    } finally {
      catalog.close();
    }
    const sql = await readScript(source);
    // Loaded here, not at the top: `crm serve` shares this entry point and never loads DuckDB (invariant 6).
    loadEmbeddedDuckdb();
    const { runTenantQuery } = await import("../../jobs/query/tenant-query.ts");
    const result = await runTenantQuery({
      warehouse: exportWarehouseOf(cluster, settings.warehouse),
      tenantId,
      sql,
      memory: settings.memory,
      threads: settings.threads,
      timeoutMs: timeout * 1000,
      maxRows,
    });
    process.stdout.write(format(result, as));
    return 0;
  },
};
