/**
 * An import's upload that keeps arriving, slowly, for longer than the server's 30 s idle
 * timeout (a 128 MB file over a 20 Mbit/s line takes ~50 s): the route's own check stops an
 * upload only when nothing arrives for CRM_BODY_TIMEOUT_SECONDS, so this one must be taken whole.
 * Bun's idleTimeout counts from the request's head while the handler reads the body, however
 * steadily the bytes come. Takes ~33 s: the length is the point.
 */
import { afterAll, beforeAll, expect, it } from "bun:test";
import type { BrowserClient } from "./support/browser-client.ts";
import { importIdOf, upload } from "./support/import-upload.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, signIn } from "./support/workspace.ts";

const SLUG = "slow";
const dir = tempDir();
let server: TestServer;
let data: DataDir;
let owner: BrowserClient;

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(SLUG, "owner@slow.test");
  server = await startServer({ dataDir: dir.path, env: { CRM_BODY_TIMEOUT_SECONDS: "2" } });
  owner = await signIn(server.url, SLUG, "owner@slow.test");
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

it("takes an upload that arrives steadily for longer than 30 s", async () => {
  const encoder = new TextEncoder();
  const started = Date.now();
  let row = 0;
  // A row every half second (well within the 2 s idle limit) for 33 s.
  const slow = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (row === 0) {
        row++;
        controller.enqueue(encoder.encode("First Name,Last Name,Email\n"));
        return;
      }
      if (Date.now() - started > 33_000) {
        controller.close();
        return;
      }
      await Bun.sleep(500);
      controller.enqueue(encoder.encode(`P${row},Q${row},p${row++}@slow.test\n`));
    },
  });
  const response = await upload(owner, SLUG, slow);
  expect(Date.now() - started).toBeGreaterThan(31_000);
  expect(importIdOf(response)).toBeGreaterThan(0);
}, 60_000);
