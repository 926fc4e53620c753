/**
 * The layering check CI runs (`npm run check:layers`):
 *   1. dependency-cruiser applies the rules in .dependency-cruiser.cjs, and
 *   2. the services (the files of src/ that are not of the web side) form no loop between
 *      folders at all, and, counting the web side too, no folders (src/<name>, views/<name>,
 *      jobs) import each other, directly or round a longer loop, except the groups listed
 *      below with their reasons.
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
import { WEB_SIDE } from "./layers/web-files.cjs";

const ROOT = resolve(import.meta.dir, "..");

/**
 * Groups of folders allowed to import each other (directly or round a longer loop), each with
 * why, named by their members in order joined by " + "; any other loop fails the check.
 */
export const ALLOWED_FOLDER_CYCLES: Record<string, string> = {
  "src/bulk + src/companies + src/contacts + src/deals + src/record-pages + src/records + src/saved-views":
    "the record kinds' web side sits on all their services: the shared record routes show the saved-views and bulk bars (which know every kind), and each kind's page shows the others' records (a contact's deals, a company's people). Their services form no loop (checked above).",
};

/** The folder a file belongs to: src/<name>, views/<name>, jobs, or its top folder for top-level files. */
function folderOf(file: string): string {
  const parts = file.split("/");
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
}

/**
 * The folders that reach each other through imports, as Tarjan's strongly connected components
 * of the folder graph: every loop, however many folders it passes, not only pairs.
 */
function folderCycles(graph: Map<string, Set<string>>): string[] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[] = [];
  const visit = (folder: string): void => {
    index.set(folder, next);
    low.set(folder, next++);
    stack.push(folder);
    onStack.add(folder);
    for (const to of graph.get(folder) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(folder, Math.min(low.get(folder) as number, low.get(to) as number));
      } else if (onStack.has(to))
        low.set(folder, Math.min(low.get(folder) as number, index.get(to) as number));
    }
    if (low.get(folder) !== index.get(folder)) return;
    const members: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      members.push(member);
    } while (member !== folder);
    if (members.length > 1) found.push(members.sort().join(" + "));
  };
  for (const folder of graph.keys()) if (!index.has(folder)) visit(folder);
  return found.sort();
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

  const web = new RegExp(WEB_SIDE);
  const graph = new Map<string, Set<string>>();
  const services = new Map<string, Set<string>>();
  const add = (edges: Map<string, Set<string>>, from: string, to: string) => {
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from)?.add(to);
  };
  for (const module of result.modules)
    for (const dependency of module.dependencies) {
      if (!/^(src|views|jobs)\//.test(dependency.resolved)) continue;
      const from = folderOf(module.source);
      const to = folderOf(dependency.resolved);
      if (from === to) continue;
      add(graph, from, to);
      if (module.source.startsWith("src/") && !web.test(module.source)) add(services, from, to);
    }
  // The services (every file of src/ that is not of the web side) stack with no loop at all.
  for (const cycle of folderCycles(services)) problems.push(`services' folders in a cycle: ${cycle}`);
  const cycles = folderCycles(graph);
  for (const cycle of cycles)
    if (!(cycle in ALLOWED_FOLDER_CYCLES)) problems.push(`folders in a cycle: ${cycle}`);
  for (const cycle of Object.keys(ALLOWED_FOLDER_CYCLES))
    if (!cycles.includes(cycle)) problems.push(`allowed folder cycle no longer exists, remove it: ${cycle}`);

  if (problems.length) {
    console.error(`Layering: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join("\n")}`);
    process.exit(1);
  }
  console.log(
    `Layering: ${files.length} files, ${result.modules.length} modules, no violation; folder cycles allowed: ${cycles.length}`,
  );
} finally {
  rmSync(tree, { recursive: true, force: true });
}
