import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type MoveCluster, workspacesOnA } from "./support/move-cluster.ts";
import { contactIdsOn, startWriter } from "./support/move-load.ts";

/**
 * A move stopped at any step (--until, or killed outright) is resumed by the same command, or
 * undone with --rollback: before the flip the source takes writes again and the destination
 * holds nothing; after it, the workspace is moved back. No acknowledged write is lost either way.
 */
describe("crm cluster move stopped part-way", () => {
  let cluster: MoveCluster;
  const keys: Record<string, string> = {};
  const journal = (slug: string) => join(cluster.root, "operator", "moves", `${slug}.json`);
  const incoming = (host: string) => {
    const dir = join(cluster.dataDir(host), "moves", "incoming");
    return existsSync(dir) ? readdirSync(dir) : [];
  };
  const create = (slug: string, firstName: string) =>
    cluster.api(slug, keys[slug] as string)("POST", `/t/${slug}/contacts`, { firstName, lastName: "X" });

  beforeAll(async () => {
    const slugs = ["resumed", "killed", "undone", "undone-late", "twice", "stranded"];
    let made: Record<string, string>;
    ({ cluster, keys: made } = await workspacesOnA(slugs, 800));
    Object.assign(keys, made);
  }, 60_000);
  afterAll(() => cluster?.stop());

  it("resumes after the copy, carrying the writes made since", async () => {
    const paused = await cluster.move(["resumed", "--to", "b", "--until", "copy"]);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toContain("stopped after copy");
    expect(JSON.parse(readFileSync(journal("resumed"), "utf8")).done).toEqual(["copy"]);
    // Still the source's, and writable: the copy froze nothing.
    const since = await create("resumed", "AfterCopy");
    expect(since.status).toBe(201);
    const resumed = await cluster.move(["resumed", "--to", "b", "--nginx-reload", "true"]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain("resuming the move of resumed from a to b at step freeze");
    expect(resumed.stdout).toContain("reloaded nginx (true)");
    // The total of a resumed run is this run's; it says so, and the time since the move began.
    expect(resumed.stdout).toMatch(
      /resumed is on b; [\d.]+ s in this run, [\d.]+ s since the move began; writes frozen [\d.]+ s/,
    );
    expect(contactIdsOn(cluster, "b", "resumed").has(String(since.json.id))).toBe(true);
    expect(cluster.ownerName("resumed")).toBe("b");
    expect(existsSync(journal("resumed"))).toBe(false);
  }, 30_000);

  it("resumes a move killed (SIGKILL) once its freeze was recorded, losing no acknowledged write", async () => {
    const writer = startWriter(cluster, "killed", keys.killed as string);
    await Bun.sleep(200);
    const mover = cluster.spawnMove(["killed", "--to", "b"]);
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      if (
        existsSync(journal("killed")) &&
        JSON.parse(readFileSync(journal("killed"), "utf8")).done.includes("freeze")
      )
        break;
      await Bun.sleep(5);
    }
    mover.kill("SIGKILL");
    await mover.exited;
    const resumed = await cluster.move(["killed", "--to", "b"]);
    await Bun.sleep(200);
    const log = await writer.stop();
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain("resuming the move of killed");
    expect(log.acked.length).toBeGreaterThan(5);
    const onB = contactIdsOn(cluster, "b", "killed");
    expect(log.acked.filter((id) => !onB.has(id))).toEqual([]);
    expect(log.other).toEqual([]);
    expect((await create("killed", "AfterResume")).status).toBe(201);
  }, 40_000);

  it("rolls back a move stopped after the freeze: the source writable again, the destination holding nothing", async () => {
    const paused = await cluster.move(["undone", "--to", "b", "--until", "freeze"]);
    expect(paused.code).toBe(0);
    const frozen = await create("undone", "WhileFrozen");
    expect(frozen.status).toBe(503);
    expect(frozen.headers.get("retry-after")).toBe("2");
    expect(frozen.json.title).toBe("Workspace moving");
    // Reads go on while frozen.
    expect(
      (await cluster.api("undone", keys.undone as string)("GET", "/t/undone/contacts?limit=1")).status,
    ).toBe(200);
    expect(incoming("b").length).toBeGreaterThan(0);
    const undone = await cluster.move(["undone", "--rollback"]);
    expect(undone.stderr).toBe("");
    expect(undone.code).toBe(0);
    expect(undone.stdout).toContain("a takes undone's writes again");
    expect(cluster.ownerName("undone")).toBe("a");
    expect((await create("undone", "AfterRollback")).status).toBe(201);
    expect(contactIdsOn(cluster, "b", "undone").size).toBe(0);
    expect(incoming("b")).toEqual([]);
    expect(existsSync(journal("undone"))).toBe(false);
    // Nothing left to roll back.
    const again = await cluster.move(["undone", "--rollback"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("no move of undone is in progress");
  }, 30_000);

  it("rolls back a move already flipped by moving the workspace back, with the writes made on the new host", async () => {
    const paused = await cluster.move(["undone-late", "--to", "b", "--until", "thaw"]);
    expect(paused.code).toBe(0);
    expect(cluster.ownerName("undone-late")).toBe("b");
    const onB = await create("undone-late", "OnB");
    expect(onB.status).toBe(201);
    const back = await cluster.move(["undone-late", "--rollback"]);
    expect(back.stderr).toBe("");
    expect(back.code).toBe(0);
    expect(back.stdout).toContain("moving it back to a");
    expect(cluster.ownerName("undone-late")).toBe("a");
    expect(contactIdsOn(cluster, "a", "undone-late").has(String(onB.json.id))).toBe(true);
    expect(contactIdsOn(cluster, "b", "undone-late").size).toBe(0);
    expect((await create("undone-late", "BackOnA")).status).toBe(201);
  }, 40_000);

  it("refuses a second mover while the first runs, and a resume to another host", async () => {
    const first = cluster.spawnMove(["twice", "--to", "b", "--until", "freeze"]);
    const until = Date.now() + 20_000;
    while (!existsSync(journal("twice")) && Date.now() < until) await Bun.sleep(5);
    // Held still while the second runs, so it cannot have finished already.
    first.kill("SIGSTOP");
    const second = await cluster.move(["twice", "--to", "b"]);
    first.kill("SIGCONT");
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`another crm cluster move (pid ${first.pid}) is moving twice`);
    expect(await first.exited).toBe(0);
    const elsewhere = await cluster.move(["twice", "--to", "a"]);
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain(
      "a move of twice to b is in progress: resume it with --to b, or undo it with --rollback",
    );
    expect((await cluster.move(["twice", "--rollback"])).code).toBe(0);
    expect((await create("twice", "AfterAll")).status).toBe(201);
  }, 30_000);

  // Last: it stops host b for good.
  it("rolls back with the destination gone: the source writable again at once, the rest said and left to a rerun", async () => {
    const paused = await cluster.move(["stranded", "--to", "b", "--until", "catch-up"]);
    expect(paused.code).toBe(0);
    expect((await create("stranded", "Frozen")).status).toBe(503);
    await cluster.servers.b?.kill();
    const undone = await cluster.move(["stranded", "--rollback"]);
    expect(undone.code).toBe(1);
    expect(undone.stdout).toContain("a takes stranded's writes again");
    expect(undone.stderr).toContain("host b (");
    expect(undone.stderr).toContain("stranded is writable on a again, but b still has its copy");
    expect((await create("stranded", "Writable")).status).toBe(201);
    expect(existsSync(journal("stranded"))).toBe(true);
  }, 30_000);
});
