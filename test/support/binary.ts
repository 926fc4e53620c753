import { chmodSync, copyFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runCommand } from "./run-command.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Builds the one-file program (`npm run build:binary`) at `outfile`, or throws with what the build said. */
export async function buildBinary(outfile: string): Promise<void> {
  const build = await runCommand([process.execPath, "scripts/build-binary.ts", "--outfile", outfile], {
    cwd: ROOT,
  });
  if (build.code !== 0)
    throw new Error(`build:binary failed (${build.code}):\n${build.stdout}\n${build.stderr}`);
}

/** Copies a built binary to `path` (an operator's host), executable. */
export function installBinary(built: string, path: string): void {
  copyFileSync(built, path);
  chmodSync(path, 0o755);
}
