/**
 * Makes tenants cap-<from>..cap-<to - 1> in the data directory `dir` through the real
 * createTenant and API-key code, and prints them as one JSON array of { slug, key }. Usage:
 * `bun test/shard-cap-tenants.ts <dir> <from> <to>`. The shard-cap test runs several at once
 * so that their fsyncs and CPU work overlap; the catalog they share settles them like any
 * other processes.
 */
import { DataDir } from "./workspace.ts";

const [dir, from, to] = [process.argv[2] ?? "", Number(process.argv[3]), Number(process.argv[4])];
if (!dir || !Number.isInteger(from) || !Number.isInteger(to)) throw new Error("usage: <dir> <from> <to>");
const data = new DataDir(dir);
const made: { slug: string; key: string }[] = [];
try {
  for (let i = from; i < to; i++) {
    const slug = `cap-${String(i).padStart(4, "0")}`;
    await data.tenant(slug);
    made.push({ slug, key: await data.apiKey(slug) });
  }
} finally {
  data.close();
}
console.log(JSON.stringify(made));
