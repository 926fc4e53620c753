/**
 * The front's config at its edges, with the real nginx and two stand-in hosts whose answers the
 * test chooses (our hosts never answer these on purpose): two hosts that each name the other as
 * the owner do not make nginx loop, and a host's own 504 reaches the client as a 504, not as the
 * 503 meant for a host that is down.
 */
import { afterAll, beforeAll, expect, it } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, startNginx, stopPid, waitFor } from "../scripts/cluster/local-cluster.ts";
import { nginxConfig } from "../src/cluster/nginx-config.ts";
import { newPlacement } from "../src/cluster/placement-file.ts";
import { tempDir } from "./support/temp-dir.ts";

const dir = tempDir("crm-nginx-edges-");
let front = "";
let nginxPid = 0;
const hosts: ReturnType<typeof Bun.serve>[] = [];

beforeAll(async () => {
  for (const [self, other] of [
    ["a", "crm_b"],
    ["b", "crm_a"],
  ] as const) {
    hosts.push(
      Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        fetch(request) {
          const path = new URL(request.url).pathname;
          if (path === "/healthz") return new Response("ok");
          if (path.startsWith("/t/slow/"))
            return Response.json(
              { type: "/api/v1/problems/timeout", status: 504, host: self },
              { status: 504 },
            );
          return new Response(`misdirected by ${self}`, {
            status: 421,
            headers: { "CRM-Owner-Upstream": other },
          });
        },
      }),
    );
  }
  const placement = {
    ...newPlacement(),
    hosts: hosts.map((h, i) => ({ name: i === 0 ? "a" : "b", url: `http://127.0.0.1:${h.port}` })),
  };
  const prefix = join(dir.path, "nginx");
  mkdirSync(join(prefix, "temp"), { recursive: true });
  const frontPort = freePort();
  writeFileSync(
    join(prefix, "nginx.conf"),
    nginxConfig(placement, {
      listen: `127.0.0.1:${frontPort}`,
      bodyLimitBytes: 262144,
      importMaxBytes: 1 << 20,
      eventsMaxBytes: 1 << 20,
      tenants: [],
      source: "test",
    }),
  );
  nginxPid = startNginx(dir.path, { pid: 0, prefix, conf: join(prefix, "nginx.conf") });
  front = `http://127.0.0.1:${frontPort}`;
  await waitFor(`${front}/healthz`, "nginx", 5000);
});

afterAll(async () => {
  await stopPid(nginxPid);
  for (const host of hosts) host.stop(true);
  dir.remove();
});

it("passes a second 421 to the client rather than bouncing between two hosts that disagree", async () => {
  const started = performance.now();
  const answer = await fetch(`${front}/t/ping-pong/contacts`, { method: "POST", body: "a=1" });
  expect(answer.status).toBe(421);
  expect(await answer.text()).toStartWith("misdirected by");
  expect(performance.now() - started).toBeLessThan(1000);
});

it("keeps a host's own 504 a 504 (only an unreachable host becomes the 503)", async () => {
  const answer = await fetch(`${front}/t/slow/contacts`);
  expect(answer.status).toBe(504);
  expect(answer.headers.get("retry-after")).toBeNull();
  expect((await answer.json()).type).toBe("/api/v1/problems/timeout");
});
