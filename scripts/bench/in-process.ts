/**
 * CPU per request with no network in the way: the real app (every middleware, the real shard)
 * driven through app.fetch in this process. For finding where a page's time goes; the wrk
 * benchmark (list-page.ts) is the one whose figures count.
 * Usage: bun scripts/bench/in-process.ts [--data DIR] [--path /t/bench/contacts]
 */
import "./bench-env.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createApp } from "../../src/app/create-app.ts";
import { createDeps } from "../../src/app/start-server.ts";
import { loadConfig } from "../../src/core/config.ts";
import { Logger } from "../../src/core/logger.ts";
import { BENCH, benchData } from "./bench-data.ts";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: join(tmpdir(), "crm-bench-100k") },
    path: { type: "string", default: `/t/${BENCH.slug}/contacts` },
    iterations: { type: "string", default: "3000" },
  },
  strict: true,
});
await benchData(values.data as string, 100_000);
const logger = new Logger({ write: () => {}, flush: () => {} });
const deps = createDeps(loadConfig(process.env, { dataDir: values.data as string }), logger);
const app = createApp(deps);
const base = "http://127.0.0.1";

const login = await app.fetch(new Request(`${base}/t/${BENCH.slug}/login`));
const csrfCookie = (login.headers.getSetCookie()[0] ?? "").split(";")[0] as string;
const token = /name="_csrf" value="([^"]+)"/.exec(await login.text())?.[1] ?? "";
const signedIn = await app.fetch(
  new Request(`${base}/t/${BENCH.slug}/login`, {
    method: "POST",
    headers: { cookie: csrfCookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: token, email: BENCH.email, password: BENCH.password }),
  }),
);
const session = signedIn.headers
  .getSetCookie()
  .find((c) => c.startsWith("crm_session="))
  ?.split(";")[0] as string;

const url = `${base}${values.path}`;
const iterations = Number(values.iterations);
const samples: number[] = [];
let bytes = 0;
for (let i = 0; i < iterations + 300; i++) {
  const start = performance.now();
  const response = await app.fetch(new Request(url, { headers: { cookie: session } }));
  const body = await response.arrayBuffer();
  if (i >= 300) samples.push((performance.now() - start) * 1000);
  bytes = body.byteLength;
  if (response.status !== 200) throw new Error(`status ${response.status}`);
}
console.log(
  `${values.path}: median ${median(samples).toFixed(1)} µs per request (${bytes} bytes), ${iterations} requests`,
);
deps.shards.closeAll();
