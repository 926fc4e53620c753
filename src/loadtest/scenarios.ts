import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { appFile } from "../core/app-files.ts";
import { LoadtestError } from "./loadtest-error.ts";

/** The scenarios: every scripts/loadtest/<name>.lua (lib/ holds what they share). */
const SCENARIOS = "scripts/loadtest";

let onDisk: string | undefined;

/**
 * The scenarios' folder on the disk, where wrk (another program) can read them: the repository's
 * in a checkout; in the binary, a copy of the embedded scripts made once per run in a temporary
 * folder that goes when the process exits.
 */
function scenariosDir(): string {
  if (!Bun.isStandaloneExecutable) return appFile(SCENARIOS);
  if (!onDisk) {
    const folder = mkdtempSync(join(tmpdir(), "crm-loadtest-scripts-"));
    // Read and written, not copied: the system's copy calls cannot read Bun's embedded files.
    for (const file of readdirSync(appFile(SCENARIOS), { recursive: true, encoding: "utf8" })) {
      if (!file.endsWith(".lua")) continue;
      mkdirSync(dirname(join(folder, file)), { recursive: true });
      writeFileSync(join(folder, file), readFileSync(appFile(join(SCENARIOS, file))));
    }
    process.once("exit", () => rmSync(folder, { recursive: true, force: true }));
    onDisk = folder;
  }
  return onDisk;
}

export function scenarioNames(): string[] {
  return readdirSync(appFile(SCENARIOS))
    .filter((f) => f.endsWith(".lua"))
    .map((f) => f.slice(0, -4))
    .sort();
}

/** The script of a scenario by name, or a LoadtestError naming the scenarios there are. */
export function scenarioFile(name: string): string {
  const names = scenarioNames();
  if (!names.includes(name))
    throw new LoadtestError(`unknown scenario "${name}" (one of: ${names.join(", ")})`);
  return join(scenariosDir(), `${name}.lua`);
}

/** The actions a scenario file gives a weight above 0 (its `weights = { action = n, … }`). */
export function scenarioActions(script: string): Set<string> {
  const weights = /weights\s*=\s*\{([^}]*)\}/.exec(readFileSync(script, "utf8"))?.[1] ?? "";
  return new Set(
    [...weights.matchAll(/(\w+)\s*=\s*(\d+)/g)].filter((m) => Number(m[2]) > 0).map((m) => m[1] as string),
  );
}
