/**
 * Benchmark: webhook delivery lag under a steady write load. One server process (`crm serve`,
 * loopback targets allowed) with one workspace subscribed to `contact.*` at a receiver in this
 * process; for --seconds, this process creates --rate contacts a second through the API, each
 * one at its own scheduled moment (not after the previous answer), so the load stays steady.
 *   webhook lag   the receiver's arrival time − the change's occurredAt (the server's commit
 *                 time): what the delivery task adds (its poll, the feed read, signing, the POST);
 *   reference     at each write's moment this process also POSTs the same kind of JSON body
 *                 straight to the receiver: the lag of a plain HTTP POST on this machine, measured
 *                 in the same run under the same load;
 *   write         each API write's round trip, for scale.
 * Printed: p50/p99 of each, the ratios webhook ÷ reference, how many deliveries arrived (each
 * change once, in order), and the command. Target: webhook lag p99 < 2 s.
 *
 * Usage: bun scripts/bench/webhook-lag.ts [--rate N] [--seconds N] [--poll-ms N]
 */
import "./bench-env.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, spawnServer } from "./bench-server.ts";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "50" },
    seconds: { type: "string", default: "30" },
    "poll-ms": { type: "string" },
  },
  strict: true,
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const pollMs = values["poll-ms"];
const SLUG = "lag-bench";

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] as number;
}

const ms = (v: number) => `${v.toFixed(v < 10 ? 2 : 1)} ms`;

async function cli(args: string[], dataDir: string): Promise<string> {
  const proc = Bun.spawn([process.execPath, "src/cli.ts", ...args, "--data", dataDir], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, code] = [await new Response(proc.stdout).text(), await proc.exited];
  if (code !== 0) throw new Error(`crm ${args[0]} failed: ${await new Response(proc.stderr).text()}`);
  return out.trim();
}

const dataDir = mkdtempSync(join(tmpdir(), "crm-bench-webhooks-"));
try {
  await cli(
    [
      "tenants",
      "create",
      SLUG,
      "--owner-email",
      "owner@lag.test",
      "--owner-password",
      "correct horse battery",
    ],
    dataDir,
  );
  const key =
    (await cli(["apikeys", "create", "--tenant", SLUG, "--role", "admin"], dataDir)).split("\n").at(-1) ?? "";

  const webhookLags: number[] = [];
  const referenceLags: number[] = [];
  const eventIds: number[] = [];
  const receiver = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const arrived = Date.now();
      // The reference is timed to the microsecond (this process's clock at both ends); a
      // change's occurredAt is in whole milliseconds.
      const arrivedExactly = performance.timeOrigin + performance.now();
      const body = (await request.json()) as { id: string; occurredAt?: string; sentAt?: number };
      if (new URL(request.url).pathname === "/reference")
        referenceLags.push(arrivedExactly - (body.sentAt ?? arrivedExactly));
      else {
        webhookLags.push(arrived - Date.parse(body.occurredAt ?? ""));
        eventIds.push(Number(body.id));
      }
      return new Response("ok");
    },
  });

  const { proc, startLine } = await spawnServer(["src/cli.ts", "serve", "--port", "0", "--data", dataDir], {
    CRM_WEBHOOKS_ALLOW_PRIVATE: "1",
    CRM_WEBHOOKS_ALLOW_HTTP: "1",
    CRM_ANALYTICS_AT: "off",
    CRM_ACCESS_LOG: "false",
    ...(pollMs ? { CRM_WEBHOOKS_POLL_MS: pollMs } : {}),
  });
  try {
    const listening = String((JSON.parse(startLine) as { url: string }).url);
    const api = `${listening}/api/v1/t/${SLUG}`;
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const made = await fetch(`${api}/webhooks`, {
      method: "POST",
      headers,
      body: JSON.stringify({ url: `http://127.0.0.1:${receiver.port}/hook`, events: ["contact.*"] }),
    });
    if (made.status !== 201) throw new Error(`subscribing failed: ${made.status} ${await made.text()}`);

    const writes = Math.round(rate * seconds);
    const writeTimes: number[] = [];
    const started = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < writes; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await Bun.sleep(wait);
      pending.push(
        (async () => {
          const t0 = performance.now();
          const answer = await fetch(`${api}/contacts`, {
            method: "POST",
            headers,
            body: JSON.stringify({ firstName: `Lag ${i}`, lastName: "Bench" }),
          });
          if (answer.status !== 201) throw new Error(`write ${i}: ${answer.status}`);
          await answer.arrayBuffer();
          writeTimes.push(performance.now() - t0);
        })(),
        (async () => {
          const answer = await fetch(`http://127.0.0.1:${receiver.port}/reference`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              id: String(i),
              type: "reference",
              sentAt: performance.timeOrigin + performance.now(),
              data: { i },
            }),
          });
          await answer.arrayBuffer();
        })(),
      );
    }
    await Promise.all(pending);
    const deadline = Date.now() + 10_000;
    while (webhookLags.length < writes && Date.now() < deadline) await Bun.sleep(50);

    const sorted = (v: number[]) => [...v].sort((a, b) => a - b);
    const hook = sorted(webhookLags);
    const ref = sorted(referenceLags);
    const write = sorted(writeTimes);
    const inOrder = eventIds.every((id, i) => i === 0 || id > (eventIds[i - 1] as number));
    console.log(
      `webhook delivery lag, ${rate} writes/s for ${seconds} s (${writes} contacts created through the API)`,
    );
    console.log(
      `  deliveries     ${webhookLags.length}/${writes} arrived, ${inOrder ? "in order" : "OUT OF ORDER"}, each once: ${new Set(eventIds).size === eventIds.length}`,
    );
    console.log(
      `  webhook lag    p50 ${ms(percentile(hook, 50))}  p99 ${ms(percentile(hook, 99))}  max ${ms(hook.at(-1) ?? Number.NaN)}  (target p99 < 2000 ms)`,
    );
    console.log(`  reference POST p50 ${ms(percentile(ref, 50))}  p99 ${ms(percentile(ref, 99))}`);
    console.log(`  API write      p50 ${ms(percentile(write, 50))}  p99 ${ms(percentile(write, 99))}`);
    console.log(
      `  ratio webhook ÷ reference: p50 ${(percentile(hook, 50) / Math.max(0.01, percentile(ref, 50))).toFixed(1)}×  p99 ${(percentile(hook, 99) / Math.max(0.01, percentile(ref, 99))).toFixed(1)}×`,
    );
    console.log(
      `  command: bun scripts/bench/webhook-lag.ts --rate ${rate} --seconds ${seconds}${pollMs ? ` --poll-ms ${pollMs}` : ""}`,
    );
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
    receiver.stop(true);
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
