import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where this program's own files are: in a checkout, the repository (src/cli.ts runs under bun);
 * in the binary (`npm run build:binary`), the files embedded in it, which Bun serves under the
 * entry's folder in its own file system (`/$bunfs/root`). scripts/build-binary.ts embeds each
 * file named here under the same relative path, and the binary's smoke test reads each of them.
 */
const ROOT = Bun.isStandaloneExecutable ? embeddedRoot() : fileURLToPath(new URL("../..", import.meta.url));

/** `/$bunfs/root` (`B:/~BUN/root` on Windows), from the path of this thread's entry file, which lies in it. */
function embeddedRoot(): string {
  const root = /^(.*?[\\/](?:\$bunfs|~BUN)[\\/]root)(?:[\\/]|$)/.exec(Bun.main)?.[1];
  if (!root) throw new Error(`cannot find the binary's embedded files from ${Bun.main}`);
  return root;
}

/** The path of one of the program's own files, named relative to the repository's root (`migrations/tenant`). */
export function appFile(relative: string): string {
  return join(ROOT, relative);
}

/**
 * The file a new thread runs, named by its source (`src/workers/worker-entry.ts`): that file in a
 * checkout; in the binary, the bundle the build made of it, embedded at the same path as `.js`.
 * Each must be one of the build's entry points (ENTRIES in scripts/build-binary.ts).
 */
export function threadFile(source: string): string {
  return appFile(Bun.isStandaloneExecutable ? source.replace(/\.ts$/, ".js") : source);
}

/** The command line that runs this same program's `crm`: the binary itself, else bun with src/cli.ts. */
export function crmCommand(): string[] {
  return Bun.isStandaloneExecutable ? [process.execPath] : [process.execPath, appFile("src/cli.ts")];
}
