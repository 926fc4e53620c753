/**
 * The structure's figures, for a closing note or a review (not a test): imports between
 * folders and the pairs of folders that import each other, `as never` casts, the longest
 * route factory, and cloned blocks counted by jscpd in src/ and views/.
 *
 * Usage: bun scripts/structure-report.ts [--json] [--runtime-only] [--clones (list them)]
 * A folder is src/<name>, views/<name> or jobs/; tests and test support are left out, as
 * they are in the layering rules (.dependency-cruiser.cjs). Type-only imports count (they tie
 * the code together too) unless --runtime-only is given.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Glob } from "bun";

const ROOT = resolve(import.meta.dir, "..");
const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    "runtime-only": { type: "boolean", default: false },
    clones: { type: "boolean", default: false },
  },
  strict: true,
});

const sources = [...new Glob("{src,views,jobs}/**/*.{ts,tsx}").scanSync({ cwd: ROOT })].filter(
  (file) => !/\.test\.tsx?$/.test(file),
);

/** The folder a file belongs to, for the folder graph: src/contacts, views/deals, src (its top-level files). */
function folderOf(file: string): string {
  const parts = file.split("/");
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
}

const transpilers = {
  ts: new Bun.Transpiler({ loader: "ts" }),
  tsx: new Bun.Transpiler({ loader: "tsx" }),
};
const edges = new Map<string, Set<string>>();
let neverCasts = 0;
const factories: { name: string; file: string; lines: number }[] = [];

for (const file of sources) {
  const text = readFileSync(join(ROOT, file), "utf8");
  neverCasts += text.match(/\bas never\b/g)?.length ?? 0;
  const transpiler = file.endsWith(".tsx") ? transpilers.tsx : transpilers.ts;
  // scanImports drops type-only imports; read those from the text (they are whole lines in this code base).
  const specifiers = new Set(transpiler.scanImports(text.replace(/^#!.*\n/, "")).map((i) => i.path));
  if (!values["runtime-only"])
    for (const match of text.matchAll(/^import type [^;]*? from "([^"]+)";/gms))
      specifiers.add(match[1] as string);
  for (const match of text.matchAll(/^export (?:type )?\{[^}]*\} from "([^"]+)";/gms))
    specifiers.add(match[1] as string);
  const from = folderOf(file);
  for (const specifier of specifiers) {
    if (!specifier.startsWith(".")) continue;
    const target = relative(ROOT, resolve(ROOT, dirname(file), specifier));
    const to = folderOf(target);
    if (to === from || target.startsWith("..") || target.startsWith("node_modules")) continue;
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from)?.add(to);
  }
  // A route factory: an exported function named *Routes, to the closing brace at column 0.
  const lines = text.split("\n");
  lines.forEach((line, index) => {
    const name = /^export function (\w+Routes)[(<]/.exec(line)?.[1];
    if (!name) return;
    const end = lines.findIndex((l, i) => i > index && l === "}");
    factories.push({ name, file, lines: end - index + 1 });
  });
}

const mutual: [string, string][] = [];
for (const [from, targets] of edges)
  for (const to of targets) if (from < to && edges.get(to)?.has(from)) mutual.push([from, to]);
mutual.sort((a, b) => a.join().localeCompare(b.join()));
factories.sort((a, b) => b.lines - a.lines);

/**
 * jscpd's count of cloned blocks in a folder's TypeScript (tests left out): at least 5 lines and
 * 30 tokens alike, whitespace ignored. Import statements are blanked first (line numbers kept):
 * two files that import the same things do not repeat code.
 */
async function clones(folder: string): Promise<{ count: number; pairs: string[] }> {
  const copy = mkdtempSync(join(tmpdir(), "crm-clones-"));
  try {
    for (const file of new Glob(`${folder}/**/*.ts`).scanSync({ cwd: ROOT })) {
      if (file.endsWith(".test.ts")) continue;
      const text = readFileSync(join(ROOT, file), "utf8").replace(
        /^(import|export)\b[^;]*?\bfrom\s+"[^"]+";/gms,
        (m) => m.replace(/[^\n]/g, ""),
      );
      mkdirSync(dirname(join(copy, file)), { recursive: true });
      writeFileSync(join(copy, file), text);
    }
    const proc = Bun.spawn(
      [
        "node",
        join(ROOT, "node_modules/jscpd/bin/jscpd"),
        ...["--min-lines", "5", "--min-tokens", "30", "--mode", "mild", "--format", "typescript"],
        ...["--reporters", "json", "--output", join(copy, ".report"), "--silent", folder],
      ],
      { cwd: copy, stdout: "ignore", stderr: "inherit" },
    );
    if ((await proc.exited) !== 0) throw new Error(`jscpd failed on ${folder}`);
    const report = JSON.parse(readFileSync(join(copy, ".report", "jscpd-report.json"), "utf8"));
    type Place = { name: string; start: number; end: number };
    const place = (f: Place) => `${f.name}:${f.start}-${f.end}`;
    const duplicates = report.duplicates as { firstFile: Place; secondFile: Place }[];
    return {
      count: report.statistics.total.clones as number,
      pairs: duplicates.map((d) => `${place(d.firstFile)} ~ ${place(d.secondFile)}`),
    };
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

const figures = {
  files: sources.length,
  folders: new Set(sources.map(folderOf)).size,
  folderImports: [...edges.values()].reduce((n, s) => n + s.size, 0),
  mutualPairs: mutual.map(([a, b]) => `${a} <-> ${b}`),
  asNever: neverCasts,
  largestRouteFactories: factories.slice(0, 5).map((f) => `${f.name} (${f.file}) ${f.lines} lines`),
  clones: { src: await clones("src"), views: await clones("views") },
};

if (values.json) console.log(JSON.stringify(figures, null, 2));
else {
  console.log(
    `${figures.files} files in ${figures.folders} folders; ${figures.folderImports} folder-to-folder imports`,
  );
  console.log(`mutual folder pairs: ${figures.mutualPairs.length}`);
  for (const pair of figures.mutualPairs) console.log(`  ${pair}`);
  console.log(`'as never' casts: ${figures.asNever}`);
  console.log("largest route factories:");
  for (const line of figures.largestRouteFactories) console.log(`  ${line}`);
  console.log(
    `cloned blocks (jscpd, >= 5 lines and 30 tokens, imports left out): src ${figures.clones.src.count}, views ${figures.clones.views.count}`,
  );
  if (values.clones)
    for (const pair of [...figures.clones.src.pairs, ...figures.clones.views.pairs]) console.log(`  ${pair}`);
}
