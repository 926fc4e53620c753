import { dlopen } from "bun:ffi";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appFile } from "./app-files.ts";
import { ConfigError } from "./config.ts";

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
  try {
    // Any one symbol: dlopen wants a function to bind, and the load itself is what matters.
    dlopen(appFile(library), { duckdb_library_version: { args: [], returns: "cstring" } });
  } catch (error) {
    // What the operator can act on, not a stack trace about Bun's embedded file system.
    const temp = tmpdir();
    throw new ConfigError(
      `cannot load DuckDB's library from this binary: it is unpacked into the temporary directory ${temp} (TMPDIR), which must exist, be writable and not be mounted noexec (set TMPDIR=/var/tmp, for instance); a damaged copy left there (${join(temp, ".bun-*.so")}) is used again until it is deleted. The loader said: ${(error as Error).message.replaceAll(appFile(library), "the library")}`,
    );
  }
  loaded = true;
}
