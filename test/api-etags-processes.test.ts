import { afterAll, beforeAll, expect, it } from "bun:test";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

/**
 * If-Match across processes (`crm serve --procs 2`): two PATCHes with the same tag, each on a
 * connection of its own so that either process may answer it, never both win. The tag is
 * compared inside the write's BEGIN IMMEDIATE transaction, so the loser waits for the lock
 * (or is replayed once it is free: src/app/retry-when-busy.ts) and then sees the new version.
 */

const HOME = "etag-procs";
const dir = tempDir("crm-etag-procs-");
let server: TestServer;
let key = "";

beforeAll(async () => {
  const data = new DataDir(dir.path);
  await data.tenant(HOME);
  key = await data.apiKey(HOME, "owner");
  data.close();
  server = await startServer({ dataDir: dir.path, args: ["--procs", "2"] });
  await server.waitForLine((l) => l.msg === "group listening");
});

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

let requests = 0;
async function send(method: string, path: string, body?: object, headers: Record<string, string> = {}) {
  const requestId = `etag-procs-${++requests}`;
  const response = await fetch(`${server.url}/api/v1/t/${HOME}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      connection: "close",
      "x-request-id": requestId,
      ...(body ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return {
    status: response.status,
    etag: response.headers.get("etag") ?? "",
    text: await response.text(),
    requestId,
  };
}

it("of two PATCHes with one tag, answered by either process, exactly one wins, every round", async () => {
  const created = await send("POST", "/contacts", { firstName: "Race" });
  const path = `/contacts/${JSON.parse(created.text).id}`;
  const rounds: { statuses: string; ids: string[] }[] = [];
  for (let round = 0; round < 30; round++) {
    const { etag } = await send("GET", path);
    const answers = await Promise.all(
      ["A", "B"].map((side) => send("PATCH", path, { lastName: `${side}${round}` }, { "if-match": etag })),
    );
    rounds.push({
      statuses: answers
        .map((a) => a.status)
        .sort()
        .join(","),
      ids: answers.map((a) => a.requestId),
    });
    const winner = answers.find((a) => a.status === 200);
    expect((await send("GET", path)).text).toBe(winner?.text ?? "no winner");
  }
  expect(rounds.map((r) => r.statuses)).toEqual(rounds.map(() => "200,412"));
  // The access log says which process answered each request: some rounds were split between the two.
  await Bun.sleep(200);
  const pidOf = new Map<string, number>();
  for (const line of server.lines) {
    try {
      const entry = JSON.parse(line) as { requestId?: string; pid?: number };
      if (entry.requestId && entry.pid) pidOf.set(entry.requestId, entry.pid);
    } catch {
      // not a log line
    }
  }
  const split = rounds.filter((r) => new Set(r.ids.map((id) => pidOf.get(id))).size === 2);
  expect(split.length).toBeGreaterThan(0);
});
