import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { BrowserClient } from "./support/browser-client.ts";
import { type MoveCluster, workspacesOnA } from "./support/move-cluster.ts";
import { signIn } from "./support/workspace.ts";

/**
 * What a frozen workspace (a move stopped right after its freeze) answers: every page and API
 * read as usual; every write, from a form, the API or a worker thread, a 503 with Retry-After
 * that says the workspace is moving, with nothing written. A rollback makes it writable again.
 */
describe("a workspace frozen by a move", () => {
  let cluster: MoveCluster;
  let key = "";
  let owner: BrowserClient;
  let contactId = "";
  const call = () => cluster.api("acme", key);

  beforeAll(async () => {
    ({
      cluster,
      keys: { acme: key = "" },
    } = await workspacesOnA(["acme"]));
    contactId = String(
      (await call()("POST", "/t/acme/contacts", { firstName: "Ada", lastName: "B" })).json.id,
    );
    owner = await signIn(cluster.ownerUrl("acme"), "acme", "owner@acme.test");
    await owner.get("/t/acme/contacts");
    const paused = await cluster.move(["acme", "--to", "b", "--until", "freeze"]);
    if (paused.code !== 0) throw new Error(paused.stderr);
  }, 30_000);
  afterAll(() => cluster?.stop());

  for (const page of [
    "/t/acme/contacts",
    "/t/acme/companies",
    "/t/acme/deals",
    "/t/acme/tasks",
    "/t/acme/search?q=Ada",
  ])
    it(`serves ${page}`, async () => {
      expect((await owner.get(page)).status).toBe(200);
    });

  it("serves a record's page and its API read", async () => {
    expect((await owner.get(`/t/acme/contacts/${contactId}`)).status).toBe(200);
    const read = await call()("GET", `/t/acme/contacts/${contactId}`);
    expect(read.status).toBe(200);
    expect(read.json.firstName).toBe("Ada");
  });

  it("refuses a form's write with the error page, 503 and Retry-After", async () => {
    const refused = await owner.post("/t/acme/contacts", { firstName: "Grace", lastName: "H" });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("2");
    expect(refused.text).toContain("moving to another server");
  });

  it("refuses an API write with problem+json, 503 and Retry-After", async () => {
    const refused = await call()("PATCH", `/t/acme/contacts/${contactId}`, { firstName: "Changed" });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("2");
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(refused.json.title).toBe("Workspace moving");
  });

  it("refuses a write run in a worker thread (an event batch) the same way", async () => {
    const refused = await call()("POST", "/t/acme/events", [
      { type: "web.visit", contactId: Number(contactId), url: "https://shop.example/" },
    ]);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("2");
  });

  it("wrote nothing while frozen, and takes writes again after a rollback", async () => {
    const list = await call()("GET", "/t/acme/contacts");
    expect(list.json.data.map((c: { firstName: string }) => c.firstName)).toEqual(["Ada"]);
    const undone = await cluster.move(["acme", "--rollback"]);
    expect(undone.code).toBe(0);
    expect((await owner.post("/t/acme/contacts", { firstName: "Grace", lastName: "H" })).status).toBe(303);
    expect((await call()("PATCH", `/t/acme/contacts/${contactId}`, { firstName: "Changed" })).status).toBe(
      200,
    );
  });
});
