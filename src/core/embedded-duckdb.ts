import { dlopen } from "bun:ffi";
import { appFile } from "./app-files.ts";

/** The name Bun gives DuckDB's library embedded in the binary (`libduckdb-<hash>.so`). */
const EMBEDDED_LIBRARY = /^libduckdb(-[a-z0-9]+)?\.(so|dylib)$/;

let loaded = false;

/**
 * In the binary, loads DuckDB's native library from the copy embedded in it; elsewhere does nothing.
 *
 * Why: DuckDB's addon (duckdb.node, which the binary embeds and Bun unpacks on require) asks the
 * system's loader for `libduckdb.so` beside itself, where there is none in a binary. A library
 * of that name already loaded in the process satisfies it, in every thread. So each command that
 * uses DuckDB calls this before it first imports @duckdb/node-api. Bun unpacks the 70 MB library
 * to a file of its own in the temporary directory (named by its hash, readable by this user
 * only) and loads it from there: about 60 ms, paid only by the analytics commands.
 */
export function loadEmbeddedDuckdb(): void {
  if (loaded || !Bun.isStandaloneExecutable) return;
  const library = Bun.embeddedFiles
    .map((file) => (file as Blob & { name: string }).name)
    .find((name) => EMBEDDED_LIBRARY.test(name));
  if (!library)
    throw new Error(
      "this binary was built without DuckDB's library (libduckdb); rebuild it with npm run build:binary",
    );
  // Any one symbol: dlopen wants a function to bind, and the load itself is what matters.
  dlopen(appFile(library), { duckdb_library_version: { args: [], returns: "cstring" } });
  loaded = true;
}
