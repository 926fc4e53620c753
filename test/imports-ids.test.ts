import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { taskPath } from "./support/background-task.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { importIdOf, upload } from "./support/import-upload.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, signIn } from "./support/workspace.ts";

/**
 * Imports and background tasks get ids from a random point per workspace (as records and
 * segments do): the same person in two workspaces cannot reach one workspace's import or task
 * through the other's URL, as counting from 1 in each workspace allowed.
 */
const dir = tempDir();
let server: TestServer;
let data: DataDir;
let alpha: BrowserClient;
let beta: BrowserClient;

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("alpha", "one@ids.test");
  await data.tenant("beta", "two@ids.test");
  server = await startServer({ dataDir: dir.path });
  alpha = await signIn(server.url, "alpha", "one@ids.test");
  beta = await signIn(server.url, "beta", "two@ids.test");
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

async function firstImport(client: BrowserClient, slug: string) {
  const id = importIdOf(await upload(client, slug, "First Name,Email\nAda,ada@ids.test\n"));
  const page = await client.get(`/t/${slug}/imports/${id}`);
  const form = client.forms(page.text).find((f) => f.action.endsWith(`/imports/${id}/mapping`));
  if (!form) throw new Error(`no mapping form:\n${page.text}`);
  const sent = await client.submit(form, {});
  expect(sent.status).toBe(303);
  return { id, task: taskPath(sent.headers.get("location")).id };
}

describe("import and background task ids", () => {
  it("start from a random point per workspace, so another workspace's id is a 404", async () => {
    const a = await firstImport(alpha, "alpha");
    const b = await firstImport(beta, "beta");
    for (const id of [a.id, b.id, a.task, b.task]) expect(id).toBeGreaterThan(2 ** 32);
    expect(a.id).not.toBe(b.id);
    expect(a.task).not.toBe(b.task);
    expect((await beta.get(`/t/beta/imports/${b.id}`)).status).toBe(200);
    expect((await beta.get(`/t/beta/imports/${a.id}`)).status).toBe(404);
    expect((await beta.get(`/t/beta/background/${b.task}`)).status).toBe(200);
    expect((await beta.get(`/t/beta/background/${a.task}`)).status).toBe(404);
  }, 60_000);
});
