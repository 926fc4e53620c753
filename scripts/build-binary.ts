/**
 * `npm run build:binary`: one executable, dist/crm, that runs every crm command on a host with
 * neither node_modules nor Bun (same OS and CPU as the build's; glibc Linux x64 or arm64).
 *
 * What goes in, beside the code:
 * - each thread's entry file (Bun bundles each separately and finds it by the URL the code
 *   already uses), piscina's own worker.js among them;
 * - the files the program reads by name (appFile in src/core/app-files.ts): migrations, the
 *   pages' assets, the analytics jobs' SQL, crm loadtest's scenarios;
 * - DuckDB's addon (bundled by its require) and its library, libduckdb.so, which the addon
 *   links by name and which src/core/embedded-duckdb.ts loads from the binary first.
 * The other platforms' DuckDB addons are left out: their packages are not installed here.
 *
 * Usage: bun scripts/build-binary.ts [--outfile dist/crm]
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import type { BunPlugin } from "bun";
import { TENANT_JOBS } from "../jobs/run/job-sql.ts";
import { ASSET_FILES } from "../src/app/assets.ts";
import { appFile } from "../src/core/app-files.ts";

const { values } = parseArgs({ options: { outfile: { type: "string", default: "dist/crm" } } });
const outfile = values.outfile as string;

/** Every thread's first file: the CLI, then each file the code starts a thread on. */
const ENTRIES = [
  "src/cli.ts",
  "src/workers/worker-entry.ts",
  "src/tenancy/quick-check.worker.ts",
  "jobs/export/read.worker.ts",
  "jobs/run/write-back.worker.ts",
  "node_modules/piscina/dist/worker.js",
];

const DUCKDB_PLATFORMS = [
  "linux-x64",
  "linux-x64-musl",
  "linux-arm64",
  "linux-arm64-musl",
  "darwin-arm64",
  "darwin-x64",
  "win32-arm64",
  "win32-x64",
];
const HERE = `${process.platform}-${process.arch}`;
const duckdbPackage = `node_modules/@duckdb/node-bindings-${HERE}`;
if (!existsSync(appFile(`${duckdbPackage}/libduckdb.so`))) {
  console.error(`build:binary: no DuckDB library for ${HERE} in ${duckdbPackage} (run npm install)`);
  process.exit(1);
}

/** The files read by name at run time, relative to the repository's root. */
function filesUnder(folder: string): string[] {
  return readdirSync(appFile(folder), { recursive: true, encoding: "utf8" })
    .map((name) => join(folder, name))
    .filter((file) => statSync(appFile(file)).isFile());
}
const EMBEDDED = [
  ...filesUnder("migrations"),
  ...ASSET_FILES,
  ...TENANT_JOBS.map((job) => `jobs/${job}.sql`),
  "jobs/usage.sql",
  // crm loadtest's scenarios (copied out for wrk when it runs: src/loadtest/scenarios.ts).
  ...filesUnder("scripts/loadtest"),
];

/**
 * Bun embeds an asset folder under its last name (`--asset a/b` lands at `b/…`), so the files
 * are staged under their repository paths and each top folder of the stage is embedded: the
 * binary then finds `migrations/tenant/…` where a checkout has it.
 */
function stage(files: string[]): { folder: string; assets: string[] } {
  const folder = mkdtempSync(join(tmpdir(), "crm-binary-"));
  for (const file of files) {
    mkdirSync(dirname(join(folder, file)), { recursive: true });
    copyFileSync(appFile(file), join(folder, file));
  }
  return { folder, assets: readdirSync(folder).map((top) => join(folder, top)) };
}

/**
 * piscina starts each thread on its own worker.js, found beside its index.js (`__dirname`), which
 * in the binary is the bundle's folder: point it at the copy the build embeds instead.
 */
const PISCINA_WORKER = "(0, node_path_1.resolve)(__dirname, 'worker.js')";
const piscinaWorkerPath: BunPlugin = {
  name: "piscina-worker-path",
  setup(build) {
    build.onLoad({ filter: /[\\/]piscina[\\/]dist[\\/]index\.js$/ }, async ({ path }) => {
      const code = await Bun.file(path).text();
      if (!code.includes(PISCINA_WORKER))
        throw new Error(`piscina changed how it finds worker.js (${path}): update ${import.meta.path}`);
      const embedded =
        'require("node:path").join(require("node:path").dirname(process.argv[1]), "node_modules/piscina/dist/worker.js")';
      return { contents: code.replace(PISCINA_WORKER, embedded), loader: "js" };
    });
  },
};

const started = performance.now();
const staged = stage(EMBEDDED);
const result = await Bun.build({
  entrypoints: [...ENTRIES, `${duckdbPackage}/libduckdb.so`].map((file) => appFile(file)),
  target: "bun",
  loader: { ".so": "file" },
  plugins: [piscinaWorkerPath],
  external: DUCKDB_PLATFORMS.filter((p) => p !== HERE).map((p) => `@duckdb/node-bindings-${p}/duckdb.node`),
  minify: { syntax: true, whitespace: true },
  sourcemap: "inline",
  compile: {
    outfile,
    assets: staged.assets,
    // The binary's behaviour is its environment's (CRM_* settings), not files that happen to sit in its directory.
    autoloadDotenv: false,
    autoloadBunfig: false,
  },
});
rmSync(staged.folder, { recursive: true, force: true });
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
const size = statSync(outfile).size;
console.log(
  `built ${outfile} (${(size / 1e6).toFixed(0)} MB, ${EMBEDDED.length} embedded files) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
