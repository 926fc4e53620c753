/**
 * A host-to-host route that takes longer than the server's 30 s idle timeout to answer (a
 * move's copy of a large workspace: the destination pulls the whole file from the source, then
 * hashes it) must still answer the `crm cluster move` waiting on it, not drop the connection.
 * The source here is slow to say where the workspace is (32 s): the destination then answers
 * 502, after the wait. Takes ~33 s: the length is the point.
 */
import { afterAll, beforeAll, expect, it } from "bun:test";
import { clusterFetch } from "../src/cluster/cluster-fetch.ts";
import { readPlacement, writePlacement } from "../src/cluster/placement-file.ts";
import { type MoveCluster, startMoveCluster } from "./support/move-cluster.ts";

let cluster: MoveCluster;
let slowSource: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  // A source host that takes 32 s over its answer (a host under load, a long checkpoint).
  slowSource = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch() {
      await Bun.sleep(32_000);
      return new Response("not here", { status: 404 });
    },
  });
  cluster = await startMoveCluster(["a"], async ({ a }) => void (await a?.tenant("acme")), { acme: "a" });
  const placement = readPlacement(cluster.placementFile);
  writePlacement(cluster.placementFile, {
    ...placement,
    version: placement.version + 1,
    hosts: [...placement.hosts, { name: "slow", url: slowSource.url.origin }],
    overrides: { ...placement.overrides, acme: "a" },
  });
}, 30_000);

afterAll(async () => {
  slowSource?.stop(true);
  await cluster?.stop();
});

it("answers a signed request whose route works for longer than 30 s", async () => {
  const secret = readPlacement(cluster.placementFile).secret;
  const started = Date.now();
  const response = await clusterFetch(
    { name: "a", url: cluster.servers.a?.url ?? "" },
    secret,
    "POST",
    "/_cluster/moves/other/copy?from=slow",
    { timeoutMs: 60_000 },
  );
  expect(Date.now() - started).toBeGreaterThan(31_000);
  expect(response.status).toBe(502);
  expect(await response.text()).toContain("answered 404");
}, 60_000);
