/**
 * A body past the front's limit is refused by nginx before any host sees it, and said as the
 * hosts say it: the API's problem+json (the same document a host answers for the same request),
 * a small page elsewhere; never nginx's own HTML. Real nginx with `crm cluster nginx-config`'s
 * file, in front of a real host.
 */
import { afterAll, beforeAll, expect, it } from "bun:test";
import { mkdirSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { crm, freePort, startNginx, stopPid, waitFor } from "../scripts/cluster/local-cluster.ts";
import { EVENTS_MAX_BYTES } from "../src/events/event-limits.ts";
import { type MoveCluster, startMoveCluster } from "./support/move-cluster.ts";

/** The hosts' default CRM_BODY_LIMIT_BYTES; the import limit is made small here to be reached. */
const BODY_LIMIT = 262144;
const IMPORT_LIMIT = 1024 * 1024;
/** What the host takes for a whole upload: the file's limit and the form around it. */
const IMPORT_BODY_LIMIT = IMPORT_LIMIT + 64 * 1024;

let cluster: MoveCluster;
let key = "";
let host = "";
let front = "";
let nginxPid = 0;

beforeAll(async () => {
  cluster = await startMoveCluster(
    ["a"],
    async ({ a }) => {
      await a?.tenant("acme");
      key = (await a?.apiKey("acme", "owner")) ?? "";
    },
    { acme: "a" },
    { CRM_TRUST_PROXY: "1" },
  );
  host = cluster.servers.a?.url ?? "";
  const prefix = join(cluster.root, "nginx");
  mkdirSync(join(prefix, "temp"), { recursive: true });
  const port = freePort();
  const conf = join(prefix, "nginx.conf");
  const limits = { CRM_BODY_LIMIT_BYTES: String(BODY_LIMIT), CRM_IMPORT_MAX_BYTES: String(IMPORT_LIMIT) };
  crm(
    [
      "cluster",
      "nginx-config",
      "--cluster",
      cluster.placementFile,
      "--listen",
      `127.0.0.1:${port}`,
      "--out",
      conf,
    ],
    limits,
  );
  nginxPid = startNginx(cluster.root, { pid: 0, prefix, conf });
  front = `http://127.0.0.1:${port}`;
  await waitFor(`${front}/healthz`, "nginx", 5000);
}, 60_000);

afterAll(async () => {
  if (nginxPid) await stopPid(nginxPid);
  await cluster?.stop();
});

const json = (bytes: number) => JSON.stringify({ firstName: "x".repeat(bytes) });
const apiPost = (base: string, path: string, body: string) =>
  fetch(`${base}/api/v1${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body,
  });

it("answers an API body past the limit with the problem+json a host answers", async () => {
  const body = json(BODY_LIMIT);
  const atFront = await apiPost(front, "/t/acme/contacts", body);
  expect(atFront.status).toBe(413);
  expect(atFront.headers.get("content-type")).toBe("application/problem+json");
  const atHost = await apiPost(host, "/t/acme/contacts", body);
  expect(atHost.status).toBe(413);
  const hostSays = await atHost.json();
  expect(hostSays).toEqual({
    type: "/api/v1/problems/payload-too-large",
    title: "Payload Too Large",
    status: 413,
    detail: `request body is larger than ${BODY_LIMIT} bytes`,
  });
  expect(await atFront.json()).toEqual(hostSays);
});

it("answers an event batch past its own limit (4 MiB) with the events limit", async () => {
  const body = json(EVENTS_MAX_BYTES);
  const atFront = await apiPost(front, "/t/acme/events", body);
  const atHost = await apiPost(host, "/t/acme/events", body);
  expect([atFront.status, atHost.status]).toEqual([413, 413]);
  expect(atFront.headers.get("content-type")).toBe("application/problem+json");
  const hostSays = await atHost.json();
  expect(hostSays.detail).toBe(`request body is larger than ${EVENTS_MAX_BYTES} bytes`);
  expect(await atFront.json()).toEqual(hostSays);
});

/** The status line, content type and body nginx answers to a chunked body of `size` bytes, sent raw. */
function chunkedPost(path: string, size: number): Promise<{ head: string; body: string }> {
  const { hostname, port } = new URL(front);
  return new Promise((resolve, reject) => {
    let answer = "";
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${key}\r\n` +
          "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
      );
      socket.write(`${size.toString(16)}\r\n${"x".repeat(size)}\r\n0\r\n\r\n`);
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error("no answer")));
    socket.on("data", (data) => {
      answer += data.toString("utf8");
    });
    socket.on("close", () => {
      const [head = "", body = ""] = answer.split("\r\n\r\n");
      resolve({ head, body });
    });
    socket.on("error", reject);
  });
}

it("answers a chunked API body past the limit the same way", async () => {
  const { head, body } = await chunkedPost("/api/v1/t/acme/contacts", BODY_LIMIT + 1);
  expect(head).toStartWith("HTTP/1.1 413");
  expect(head.toLowerCase()).toContain("content-type: application/problem+json");
  expect(JSON.parse(body)).toMatchObject({
    type: "/api/v1/problems/payload-too-large",
    detail: `request body is larger than ${BODY_LIMIT} bytes`,
  });
});

it("answers a page's body past the limit with a small page of its own, not nginx's", async () => {
  const answer = await fetch(`${front}/t/acme/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `email=${"x".repeat(BODY_LIMIT)}`,
  });
  expect(answer.status).toBe(413);
  expect(answer.headers.get("content-type")).toBe("text/html; charset=utf-8");
  const page = await answer.text();
  expect(page).toContain("<title>Payload Too Large</title>");
  expect(page).toContain(`request body is larger than ${BODY_LIMIT} bytes`);
  expect(page).not.toContain("nginx");
});

it("answers an htmx request's body past the limit as a host does: the flash fragment, retargeted", async () => {
  // htmx swaps what comes back into the request's target: a whole page there would replace it.
  const post = (base: string) =>
    fetch(`${base}/t/acme/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
      body: `email=${"x".repeat(BODY_LIMIT)}`,
    });
  const straight = await post(host);
  expect(straight.status).toBe(413);
  expect(straight.headers.get("hx-retarget")).toBe("#flash");
  const answer = await post(front);
  expect(answer.status).toBe(413);
  expect(answer.headers.get("content-type")?.toLowerCase()).toBe("text/html; charset=utf-8");
  expect(straight.headers.get("content-type")?.toLowerCase()).toBe("text/html; charset=utf-8");
  expect(answer.headers.get("hx-retarget")).toBe("#flash");
  expect(answer.headers.get("hx-reswap")).toBe(straight.headers.get("hx-reswap"));
  expect(await answer.text()).toBe(await straight.text());
});

it("names an import upload's own limit (CRM_IMPORT_MAX_BYTES when the config was written, and the form's 64 KiB)", async () => {
  const form = new FormData();
  form.append("file", new Blob(["x".repeat(IMPORT_BODY_LIMIT)]), "big.csv");
  const answer = await fetch(`${front}/t/acme/imports`, { method: "POST", body: form });
  expect(answer.status).toBe(413);
  expect(await answer.text()).toContain(`request body is larger than ${IMPORT_BODY_LIMIT} bytes`);
});

it("passes an import whose file is just within CRM_IMPORT_MAX_BYTES to the host, its form's framing on top", async () => {
  // The host takes a file of up to the limit in a form up to 64 KiB larger; the front must not refuse less.
  const upload = (base: string) => {
    const form = new FormData();
    form.append("file", new Blob(["x".repeat(IMPORT_LIMIT)]), "within.csv");
    return fetch(`${base}/t/acme/imports`, { method: "POST", body: form, redirect: "manual" });
  };
  const straight = await upload(host);
  expect(straight.status).not.toBe(413);
  expect((await upload(front)).status).toBe(straight.status);
});

it("keeps a host's own 413 (too many events in a small body) a payload-too-large problem, in general words", async () => {
  const body = JSON.stringify(Array.from({ length: 10_001 }, () => ({})));
  expect(body.length).toBeLessThan(EVENTS_MAX_BYTES);
  const answer = await apiPost(front, "/t/acme/events", body);
  expect(answer.status).toBe(413);
  expect(answer.headers.get("content-type")).toBe("application/problem+json");
  // nginx stands in for the host's answer (it cannot pass on a body it intercepted): the kind's own words.
  expect(await answer.json()).toEqual({
    type: "/api/v1/problems/payload-too-large",
    title: "Payload Too Large",
    status: 413,
    detail: "The body (or the number of items in it) is past the limit; nothing was stored",
  });
});

it("still passes a body within the limit to the host", async () => {
  const answer = await apiPost(
    front,
    "/t/acme/contacts",
    JSON.stringify({ firstName: "Small", lastName: "Body" }),
  );
  expect(answer.status).toBe(201);
});
