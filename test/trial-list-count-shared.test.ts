import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import net from "node:net";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, signIn } from "./support/workspace.ts";

/**
 * A list's exact count (GET /t/<slug>/<kind>/count) is counted once in the pool however many
 * requests ask for it meanwhile; one of them closing (a tab closed, htmx swapping the line
 * away) must not leave the others with "not counted exactly: the request was cancelled".
 */
const W = "trialshared";
let server: TestServer;
let data: DataDir;
let owner: BrowserClient;
const dir = tempDir();

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(W);
  await data.shards.use(data.get(W), (shard) => {
    seedTenant(shard, { contacts: 3_000, seed: 3, deals: 0, interactionsPerContact: 0 });
    shard.sqlite.run("PRAGMA wal_checkpoint(TRUNCATE)");
  });
  // One thread, and room for every count below in the workspace's line.
  server = await startServer({
    dataDir: dir.path,
    env: { CRM_WORKERS: "1", CRM_WORKER_QUEUE: "64", CRM_WORKER_PER_WORKSPACE: "64" },
  });
  owner = await signIn(server.url, W, `owner@${W}.test`);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

/** A GET on its own connection, written whole before this resolves; `answer` reads the reply. */
async function rawGet(path: string) {
  const url = new URL(server.url);
  const socket = net.connect(Number(url.port), url.hostname);
  let text = "";
  const ended = new Promise<string>((resolve) => {
    socket.on("data", (chunk) => {
      text += chunk.toString();
    });
    socket.on("close", () => resolve(text));
    socket.on("error", () => resolve(text));
  });
  const request = `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nCookie: crm_session=${owner.cookie("crm_session")}\r\nHX-Request: true\r\nConnection: close\r\n\r\n`;
  await new Promise<void>((resolve, reject) =>
    socket.write(request, (error) => (error ? reject(error) : resolve())),
  );
  return { answer: ended, close: () => socket.destroy() };
}

const summary = (reply: string) =>
  /<p class="summary"[^>]*>(.*?)<\/p>/.exec(reply)?.[1]?.replace(/<[^>]+>/g, "");

describe("a count shared by several requests", () => {
  it("still answers the others exactly when the request that started it closes", async () => {
    const day = (i: number) => new Date(Date.UTC(2000, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
    const path = (i: number) => `/t/${W}/contacts/count?createdFrom=${day(i)}`;
    const answers: (string | undefined)[] = [];
    for (let round = 0; round < 5; round++) {
      // Counts of other filters first, so this one waits in the workspace's line.
      const before = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => rawGet(path(100 * round + i))));
      const first = await rawGet(path(100 * round));
      const second = await rawGet(path(100 * round));
      first.close();
      answers.push(summary(await second.answer));
      for (const other of before) expect(summary(await other.answer)).toBe("3,000 contacts match");
    }
    expect(answers).toEqual(Array.from({ length: 5 }, () => "3,000 contacts match"));
  }, 30_000);
});
