/**
 * A signed host-to-host request whose sender goes away mid-body (a captured request replayed
 * and cut, or a host that died while sending): nothing is acted on, and the host takes it for
 * what it is, a client that left, not a failure of its own logged as an error.
 */
import { afterAll, beforeAll, expect, it } from "bun:test";
import { connect } from "node:net";
import { clusterHeaders } from "../src/cluster/cluster-auth.ts";
import { clusterFetch } from "../src/cluster/cluster-fetch.ts";
import { readPlacement } from "../src/cluster/placement-file.ts";
import { type MoveCluster, startMoveCluster } from "./support/move-cluster.ts";

let cluster: MoveCluster;
let secret = "";
let host = "";

beforeAll(async () => {
  cluster = await startMoveCluster(["a"], async ({ a }) => void (await a?.tenant("acme")), { acme: "a" });
  secret = readPlacement(cluster.placementFile).secret;
  host = cluster.servers.a?.url ?? "";
}, 30_000);

afterAll(async () => {
  await cluster?.stop();
});

/** Sends a signed request's head and `sent` of its `declared` body bytes, then closes the connection. */
function cutMidBody(path: string, declared: number, sent: number): Promise<void> {
  const { hostname, port } = new URL(host);
  const headers = clusterHeaders(secret, "POST", path, { bodySha256: "1".repeat(64) });
  const head = `POST ${path} HTTP/1.1\r\nHost: a\r\nContent-Length: ${declared}\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("")}\r\n`;
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(head + "x".repeat(sent));
      // Long enough for the host to be reading the body when the connection goes.
      setTimeout(() => socket.destroy(), 200);
    });
    socket.once("close", () => resolve());
    socket.once("error", reject);
  });
}

it("acts on nothing and logs no error when the sender leaves mid-body", async () => {
  const server = cluster.servers.a;
  if (!server) throw new Error("no host a");
  const before = server.lines.length;
  await cutMidBody("/_cluster/t/acme/freeze", 100_000, 1000);
  await cutMidBody("/_cluster/t/acme/pages", 100_000, 1000);
  // The host has noticed by the time it answers the next request on another connection.
  await Bun.sleep(300);
  const state = await clusterFetch({ name: "a", url: host }, secret, "GET", "/_cluster/t/acme");
  expect(state.status).toBe(200);
  expect((await state.json()).frozenSince).toBeNull();
  const errors = server.lines.slice(before).filter((line) => JSON.parse(line).level === "error");
  expect(errors).toEqual([]);
});
