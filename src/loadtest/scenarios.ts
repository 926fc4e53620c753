import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { LoadtestError } from "./loadtest-error.ts";

/** The scenarios: every scripts/loadtest/<name>.lua (lib/ holds what they share). */
const SCENARIOS_DIR = fileURLToPath(new URL("../../scripts/loadtest/", import.meta.url));

export function scenarioNames(): string[] {
  return readdirSync(SCENARIOS_DIR)
    .filter((f) => f.endsWith(".lua"))
    .map((f) => f.slice(0, -4))
    .sort();
}

/** The script of a scenario by name, or a LoadtestError naming the scenarios there are. */
export function scenarioFile(name: string): string {
  const names = scenarioNames();
  if (!names.includes(name))
    throw new LoadtestError(`unknown scenario "${name}" (one of: ${names.join(", ")})`);
  return `${SCENARIOS_DIR}${name}.lua`;
}

/** The actions a scenario file gives a weight above 0 (its `weights = { action = n, … }`). */
export function scenarioActions(script: string): Set<string> {
  const weights = /weights\s*=\s*\{([^}]*)\}/.exec(readFileSync(script, "utf8"))?.[1] ?? "";
  return new Set(
    [...weights.matchAll(/(\w+)\s*=\s*(\d+)/g)].filter((m) => Number(m[2]) > 0).map((m) => m[1] as string),
  );
}
