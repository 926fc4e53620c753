import { afterAll, beforeAll } from "bun:test";
import { FAST_HASHING, startServer, type TestServer } from "./server.ts";
import { tempDir } from "./temp-dir.ts";
import { api, DataDir } from "./workspace.ts";

// biome-ignore lint/suspicious/noExplicitAny: API answers are checked field by field
export type Json = any;

/**
 * A server over a fresh data directory with two workspaces (`slug` and `other`), an owner and
 * a read-only key for the first, and `call`, which answers a 2xx's JSON or throws: what the
 * tests of keeping another system in step (changes feed, updatedSince, notes paging, /users)
 * start from.
 */
export async function syncWorkspace(slug: string, other: string) {
  const dir = tempDir();
  const server: TestServer = await startServer({ dataDir: dir.path, env: FAST_HASHING });
  const data = new DataDir(dir.path);
  await data.tenant(slug);
  await data.tenant(other);
  const owner = api(server.url, await data.apiKey(slug, "owner"));
  const readOnly = api(server.url, await data.apiKey(slug, "read-only"));
  const call = async (method: string, path: string, body?: object): Promise<Json> => {
    const response = await owner(method, `/t/${slug}${path}`, body);
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
    return response.json;
  };
  const stop = async () => {
    await server.stop();
    data.close();
    dir.remove();
  };
  return { server, data, owner, readOnly, call, stop };
}

export type SyncWorkspace = Awaited<ReturnType<typeof syncWorkspace>>;

/**
 * syncWorkspace for one test file: started before its tests, stopped after them. Its fields
 * are filled in by beforeAll, so read them inside tests (or through functions that do).
 */
export function suiteWorkspace(slug: string, other: string): SyncWorkspace {
  const ws = {} as SyncWorkspace;
  beforeAll(async () => {
    Object.assign(ws, await syncWorkspace(slug, other));
  });
  afterAll(async () => {
    await ws.stop?.();
  });
  return ws;
}
