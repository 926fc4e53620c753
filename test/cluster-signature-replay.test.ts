import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { connect } from "node:net";
import { pack } from "msgpackr";
import { clusterHeaders } from "../src/cluster/cluster-auth.ts";
import { clusterFetch } from "../src/cluster/cluster-fetch.ts";
import { readPlacement } from "../src/cluster/placement-file.ts";
import { type MoveCluster, startMoveCluster } from "./support/move-cluster.ts";

/** A request as it went over the wire, recorded by a listener standing where a host would be. */
interface Captured {
  method: string;
  pathAndQuery: string;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer>;
}

/** Page hashes as a catch-up sends them (POST /_cluster/t/<slug>/pages): `fill` varies the bytes, not the length. */
const hashes = (fill: number, bytes = 16) =>
  new Uint8Array(pack({ pageSize: 4096, hashes: new Uint8Array(bytes).fill(fill) }));

/** The status line a host answers to a request's head alone (its body announced, never sent). */
function answerToHead(base: string, head: string): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(head));
    socket.setTimeout(5000, () => socket.destroy(new Error("no answer to the head alone")));
    socket.once("data", (data) => {
      socket.destroy();
      resolve(data.toString("latin1").split("\r\n")[0] ?? "");
    });
    socket.once("error", reject);
  });
}

/**
 * Someone on the network between the hosts who captures a signed host-to-host request cannot
 * send it again, within the signature's minute, with another body, another query or another
 * body digest: the signature covers method, path with query, time and the body's SHA-256, and
 * the host checks the body it received against it before any route sees it.
 */
describe("host-to-host signature against replays", () => {
  let cluster: MoveCluster;
  let secret = "";
  let host = "";
  let recorder: ReturnType<typeof Bun.serve>;
  const captured: Captured[] = [];

  /** Sends a signed request the way the hosts do (clusterFetch), to the recorder; returns what went out. */
  const capture = async (
    method: string,
    pathAndQuery: string,
    body?: Uint8Array<ArrayBuffer>,
  ): Promise<Captured> => {
    const response = await clusterFetch(
      { name: "wire", url: recorder.url.origin },
      secret,
      method,
      pathAndQuery,
      {
        body,
      },
    );
    expect(response.status).toBe(204);
    return captured.pop() as Captured;
  };
  /** The captured request sent again to the real host, with what the attacker changed. */
  const replay = (
    request: Captured,
    change: { pathAndQuery?: string; body?: Uint8Array<ArrayBuffer>; headers?: object } = {},
  ) =>
    fetch(`${host}${change.pathAndQuery ?? request.pathAndQuery}`, {
      method: request.method,
      headers: { ...request.headers, ...change.headers },
      body: change.body ?? (request.body.byteLength > 0 ? request.body : undefined),
    });

  beforeAll(async () => {
    recorder = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(request) {
        const url = new URL(request.url);
        const headers: Record<string, string> = {};
        request.headers.forEach((value, name) => {
          if (name.startsWith("crm-cluster-") || name === "content-type") headers[name] = value;
        });
        captured.push({
          method: request.method,
          pathAndQuery: url.pathname + url.search,
          headers,
          body: new Uint8Array(await request.arrayBuffer()),
        });
        return new Response(null, { status: 204 });
      },
    });
    cluster = await startMoveCluster(["a"], async ({ a }) => void (await a?.tenant("acme")), { acme: "a" });
    secret = readPlacement(cluster.placementFile).secret;
    host = cluster.servers.a?.url ?? "";
    // A catch-up's page hashes are answered only for a frozen workspace (as in a move).
    const freeze = await clusterFetch({ name: "a", url: host }, secret, "POST", "/_cluster/t/acme/freeze");
    expect(freeze.status).toBe(200);
  }, 30_000);
  afterAll(async () => {
    recorder?.stop(true);
    await cluster?.stop();
  });

  it("answers a captured request sent again unchanged (within the minute)", async () => {
    const request = await capture("POST", "/_cluster/t/acme/pages", hashes(1));
    const response = await replay(request);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/msgpack");
  });

  it("refuses the signature of one body over another of the same length", async () => {
    const request = await capture("POST", "/_cluster/t/acme/pages", hashes(1));
    const response = await replay(request, { body: hashes(2) });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ status: 403, detail: "Not a signed cluster request." });
  });

  it("refuses a body added to a request signed without one", async () => {
    const request = await capture("POST", "/_cluster/t/acme/pages");
    expect(request.body.byteLength).toBe(0);
    expect((await replay(request, { body: hashes(1) })).status).toBe(403);
  });

  it("refuses another body whose digest the sender wrote in the digest header (the signature covers it)", async () => {
    const request = await capture("POST", "/_cluster/t/acme/pages", hashes(1));
    const other = hashes(2);
    const digest = new Bun.CryptoHasher("sha256").update(other).digest("hex");
    const response = await replay(request, {
      body: other,
      headers: { "crm-cluster-content-sha256": digest },
    });
    expect(response.status).toBe(403);
  });

  it("verifies a body of megabytes that arrives in many pieces", async () => {
    const big = hashes(3, 4 * 1024 * 1024);
    const request = await capture("POST", "/_cluster/t/acme/pages", big);
    expect(request.body.byteLength).toBe(big.byteLength);
    expect((await replay(request)).status).toBe(200);
    const changed = big.slice();
    changed[changed.length - 1] = 4;
    expect((await replay(request, { body: changed })).status).toBe(403);
  });

  it("refuses the signature of one query over another, or over none", async () => {
    // A workspace id that is not acme's: discarding a move of it here removes nothing.
    const path = "/_cluster/moves/acme?tenant=aaaaaaaaaaaaaaaa";
    const request = await capture("DELETE", path);
    const untouched = await replay(request);
    expect(untouched.status).toBe(200);
    expect(await untouched.json()).toEqual({ removed: [] });
    expect(
      (await replay(request, { pathAndQuery: "/_cluster/moves/acme?tenant=bbbbbbbbbbbbbbbb" })).status,
    ).toBe(403);
    expect((await replay(request, { pathAndQuery: `${path}&tenant=bbbbbbbbbbbbbbbb` })).status).toBe(403);
    expect((await replay(request, { pathAndQuery: "/_cluster/moves/acme" })).status).toBe(403);
  });

  it("refuses an unsigned body, and a signed one past the limit, before reading any of it", async () => {
    const path = "/_cluster/t/acme/pages";
    const head = (headers: Record<string, string>, length: number) =>
      `POST ${path} HTTP/1.1\r\nHost: a\r\nContent-Length: ${length}\r\n${Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join("")}\r\n`;
    expect(await answerToHead(host, head({}, 1024 * 1024))).toBe("HTTP/1.1 403 Forbidden");
    const signed = clusterHeaders(secret, "POST", path, { bodySha256: "0".repeat(64) });
    expect(await answerToHead(host, head(signed, 64 * 1024 * 1024 + 1))).toBe(
      "HTTP/1.1 413 Payload Too Large",
    );
  });
});
