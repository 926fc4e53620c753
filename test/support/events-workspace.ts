import { expect } from "bun:test";
import { startServer, type TestServer } from "./server.ts";
import { api, DataDir } from "./workspace.ts";

/**
 * A workspace to push events into, through the real server: made in `dataDir` with a member's
 * API key and `people` contacts (`<prefix><i>`, `<prefix lower-cased><i>@example.com`), their
 * ids in creation order.
 */
export async function eventsWorkspace(dataDir: string, slug: string, people: number, prefix: string) {
  const data = new DataDir(dataDir);
  await data.tenant(slug);
  const member = await data.apiKey(slug, "member");
  const server: TestServer = await startServer({ dataDir });
  const call = api(server.url, member);
  const contactIds: number[] = [];
  for (let i = 0; i < people; i++) {
    const created = await call("POST", `/t/${slug}/contacts`, {
      firstName: `${prefix}${i}`,
      email: `${prefix.toLowerCase()}${i}@example.com`,
    });
    expect(created.status).toBe(201);
    contactIds.push(created.json.id);
  }
  return { data, member, server, contactIds };
}
