/**
 * Benchmark: what a contact list page costs the server's thread for its rows and its count,
 * by filter and sort, over a workspace of --contacts contacts (100,000; made once in
 * $TMPDIR/crm-bench-100k, as `npm run bench` makes it). Measured in this process through the
 * checkout's own services, as a page without its caches runs them (each query timed alone,
 * the first page then --pages pages on by cursor), for this checkout and, with --root,
 * another one (a "before") on the same file in the same run, interleaved round by round.
 * Printed per case: the median and the slowest of the page queries, the count the page makes
 * (the cap's 1,001 rows, or every row in a checkout that counts them all) and the whole count
 * (what the pool counts), with the ratio of each to the same case's figure in --root.
 *
 * Usage: bun scripts/bench/list-count.ts [--data DIR] [--contacts N] [--root DIR] [--rounds N] [--pages N]
 */
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { BENCH, benchData } from "./bench-data.ts";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: join(tmpdir(), "crm-bench-100k") },
    contacts: { type: "string", default: "100000" },
    root: { type: "string" },
    rounds: { type: "string", default: "5" },
    pages: { type: "string", default: "10" },
  },
  strict: true,
});
const dataDir = values.data as string;
const rounds = Number(values.rounds);
const pages = Number(values.pages);
const CASES: Record<string, string>[] = [
  {},
  { sort: "name" },
  { tag: "lead", sort: "name" },
  { tag: "lead" },
  { tag: "vip", sort: "name" },
  { tag: "wholesale" },
  { tag: "customer", sort: "updatedAt" },
];

await benchData(dataDir, Number(values.contacts), { interactionsPerContact: 0 });

interface Checkout {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: each checkout's own modules, loaded by path
  kind: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  parse: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  shard: any;
  close(): void;
}

async function open(root: string, name: string): Promise<Checkout> {
  const { Catalog } = await import(join(root, "src/tenancy/catalog.ts"));
  const { ShardManager } = await import(join(root, "src/tenancy/shard-manager.ts"));
  const { CONTACT_KIND } = await import(join(root, "src/contacts/contact-kind.ts"));
  const { parseListParams } = await import(join(root, "src/lists/list-params.ts"));
  const catalog = Catalog.open(dataDir);
  const shards = new ShardManager({ dataDir, maxOpen: 2 });
  const shard = shards.acquire(catalog.findBySlug(BENCH.slug));
  return {
    name,
    kind: CONTACT_KIND,
    parse: (query: Record<string, string>) => parseListParams(CONTACT_KIND.listParams, query, false),
    shard,
    close() {
      shards.release(shard);
      shards.closeAll();
      catalog.close();
    },
  };
}

function time(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

/** One round of one case: each page on from the first by cursor, the page's count, the whole count. */
function measure(c: Checkout, query: Record<string, string>) {
  const params = c.parse(query);
  const page: number[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < pages; i++) {
    let result: { nextCursor: string | null } = { nextCursor: null };
    page.push(time(() => (result = c.kind.list(c.shard, { ...params, cursor }))));
    if (!result.nextCursor) break;
    cursor = result.nextCursor;
  }
  // A checkout whose count takes no bound counts every row here: what its page did.
  const capped = time(() => c.kind.count(c.shard, params, 1_001));
  const whole = time(() => c.kind.count(c.shard, params));
  return { page, capped, whole };
}

const checkouts = [await open(resolve(import.meta.dir, "../.."), "this")];
if (values.root) checkouts.push(await open(resolve(values.root), "root"));
const figures = new Map<string, { page: number[]; capped: number[]; whole: number[] }>();
for (let round = 0; round < rounds; round++) {
  for (const query of CASES) {
    for (const c of checkouts) {
      const key = `${c.name} ${JSON.stringify(query)}`;
      const m = measure(c, query);
      const f = figures.get(key) ?? { page: [], capped: [], whole: [] };
      f.page.push(...m.page);
      f.capped.push(m.capped);
      f.whole.push(m.whole);
      figures.set(key, f);
    }
  }
}
for (const c of checkouts) c.close();

const ms = (n: number) => n.toFixed(n < 10 ? 2 : 1).padStart(7);
console.log(
  `contacts list over ${values.contacts} contacts (${dataDir}), ${rounds} rounds x ${pages} pages; ms, and this ÷ root`,
);
console.log(
  "case                                   page p50  page max  page count  whole count   p50 ratio  count ratio",
);
for (const query of CASES) {
  const label = JSON.stringify(query).padEnd(38);
  const mine = figures.get(`this ${JSON.stringify(query)}`);
  const theirs = figures.get(`root ${JSON.stringify(query)}`);
  if (!mine) continue;
  const p50 = median(mine.page);
  const count = median(mine.capped);
  const ratios = theirs
    ? `${(p50 / median(theirs.page)).toFixed(2).padStart(10)}  ${(count / median(theirs.capped)).toFixed(2).padStart(11)}`
    : "";
  console.log(
    `${label} ${ms(p50)}   ${ms(Math.max(...mine.page))}   ${ms(count)}    ${ms(median(mine.whole))}  ${ratios}`,
  );
  if (theirs)
    console.log(
      `${"  root".padEnd(38)} ${ms(median(theirs.page))}   ${ms(Math.max(...theirs.page))}   ${ms(median(theirs.capped))}    ${ms(median(theirs.whole))}`,
    );
}
