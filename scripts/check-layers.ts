/**
 * The layering check CI runs (`npm run check:layers`):
 *   1. dependency-cruiser applies the rules in .dependency-cruiser.cjs, and
 *   2. no two folders (src/<name>, views/<name>, jobs) import each other, except the pairs
 *      listed below with their reasons.
 *
 * Both look at the code as Bun runs it: each file is transpiled by Bun (types erased) into a
 * temporary tree with the same paths, and that is what is cruised. A type-only import ties
 * nothing together at run time (a view may name a record's type; it may not call a service),
 * and TypeScript 7, which the type check uses, has no compiler API for dependency-cruiser to
 * read types with (it parses the transpiled files with swc).
 *
 * Usage: bun scripts/check-layers.ts   (exit 1 on a violation, naming each)
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Glob } from "bun";

const ROOT = resolve(import.meta.dir, "..");

/** Folder pairs allowed to import each other, each with why; every other pair fails the check. */
export const ALLOWED_FOLDER_CYCLES: Record<string, string> = {
  "src/companies <-> src/contacts":
    "a contact belongs to a company (its form finds or creates one by name), and a company's page lists its people",
};

/** The folder a file belongs to: src/<name>, views/<name>, jobs, or its top folder for top-level files. */
function folderOf(file: string): string {
  const parts = file.split("/");
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
}

interface CruiseResult {
  modules: { source: string; dependencies: { resolved: string }[] }[];
  summary: { error: number; violations: { rule: { name: string }; from: string; to: string }[] };
}

const tree = mkdtempSync(join(tmpdir(), "crm-layers-"));
try {
  const transpilers = {
    ts: new Bun.Transpiler({ loader: "ts", target: "bun" }),
    tsx: new Bun.Transpiler({ loader: "tsx", target: "bun" }),
  };
  const files = [...new Glob("{src,views,jobs}/**/*.{ts,tsx}").scanSync({ cwd: ROOT })].filter(
    (file) => !/\.test\.tsx?$/.test(file),
  );
  for (const file of files) {
    const source = readFileSync(join(ROOT, file), "utf8").replace(/^#!.*\n/, "");
    const transpiler = file.endsWith(".tsx") ? transpilers.tsx : transpilers.ts;
    mkdirSync(dirname(join(tree, file)), { recursive: true });
    writeFileSync(join(tree, file), transpiler.transformSync(source));
  }
  symlinkSync(join(ROOT, "node_modules"), join(tree, "node_modules"));

  const cruise = Bun.spawnSync(
    [
      // Node, not Bun: dependency-cruiser's swc visitor relies on class semantics Bun does not match.
      "node",
      join(ROOT, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs"),
      "--config",
      join(ROOT, ".dependency-cruiser.cjs"),
      "--output-type",
      "json",
      ...["src", "views", "jobs"].filter((folder) => files.some((f) => f.startsWith(`${folder}/`))),
    ],
    { cwd: tree, stdout: "pipe", stderr: "pipe" },
  );
  if (!cruise.stdout.length) throw new Error(`dependency-cruiser failed:\n${cruise.stderr.toString()}`);
  const result = JSON.parse(cruise.stdout.toString()) as CruiseResult;

  const problems = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);

  const edges = new Set<string>();
  for (const module of result.modules)
    for (const dependency of module.dependencies) {
      if (!/^(src|views|jobs)\//.test(dependency.resolved)) continue;
      const from = folderOf(module.source);
      const to = folderOf(dependency.resolved);
      if (from !== to) edges.add(`${from} -> ${to}`);
    }
  const seen = new Set<string>();
  for (const edge of edges) {
    const [from, to] = edge.split(" -> ") as [string, string];
    const pair = [from, to].sort().join(" <-> ");
    if (seen.has(pair) || !edges.has(`${to} -> ${from}`)) continue;
    seen.add(pair);
    if (!(pair in ALLOWED_FOLDER_CYCLES)) problems.push(`folders import each other: ${pair}`);
  }
  for (const pair of Object.keys(ALLOWED_FOLDER_CYCLES))
    if (!seen.has(pair)) problems.push(`allowed folder cycle no longer exists, remove it: ${pair}`);

  if (problems.length) {
    console.error(`Layering: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join("\n")}`);
    process.exit(1);
  }
  console.log(
    `Layering: ${files.length} files, ${result.modules.length} modules, no violation; folder cycles allowed: ${seen.size}`,
  );
} finally {
  rmSync(tree, { recursive: true, force: true });
}
