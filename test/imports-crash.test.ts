import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Tenant } from "../src/tenancy/catalog-schema.ts";
import { type FinishedTask, waitForTask } from "./support/background-task.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { importIdOf, upload } from "./support/import-upload.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, signIn } from "./support/workspace.ts";
import { expectTakenBack, workspaceRows } from "./support/workspace-rows.ts";

/**
 * An import the server is killed in (SIGKILL, no clean-up: a power cut for the process) is
 * taken back when the server starts again, by itself, as Cancel does: every table of the
 * workspace is as it was before the import, its page says so, and its upload is gone.
 */
const SLUG = "crash";
const ROWS = 200_000;
const dir = tempDir();
let server: TestServer | undefined;
let data: DataDir;
let tenant: Tenant;

beforeAll(async () => {
  data = new DataDir(dir.path);
  tenant = await data.tenant(SLUG, "owner@crash.test");
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

const sql = <T>(query: string, ...params: (string | number | null)[]) =>
  data.shards.use(tenant, (s) => s.statement(query).all(...params) as T[]);

/** Every row of every table of data of the workspace, to compare before and after. */
const dump = () => workspaceRows(sql);

async function patiently<T extends { status: number }>(send: () => Promise<T>, ms = 60_000): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const response = await send();
    if (response.status !== 503 || performance.now() > deadline) return response;
    await Bun.sleep(50);
  }
}

async function waitTask(client: BrowserClient, location: string | null, ms = 120_000): Promise<FinishedTask> {
  const deadline = performance.now() + ms;
  for (;;) {
    try {
      return await waitForTask(client, location, Math.max(1, deadline - performance.now()));
    } catch (error) {
      if (!/: 503$/.test((error as Error).message) || performance.now() > deadline) throw error;
    }
  }
}

async function until(what: string, condition: () => Promise<boolean>, ms = 60_000) {
  const deadline = performance.now() + ms;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await Bun.sleep(5);
  }
}

describe("an import the server is killed in", () => {
  it("is taken back when the server starts again: the workspace is as before, and its page says so", async () => {
    server = await startServer({ dataDir: dir.path });
    let owner = await signIn(server.url, SLUG, "owner@crash.test");
    await owner.post(`/t/${SLUG}/contacts`, {
      firstName: "Ada",
      lastName: "Before",
      email: "ada@crash.test",
    });
    const before = await dump();

    const lines = ["First Name,Last Name,Email,Job Title,Tags,Company"];
    for (let i = 0; i < ROWS; i++)
      lines.push(`P${i},Q${i},p${i}@crash.test,T${i},bulk,${i % 10 === 0 ? `Firm ${i}` : ""}`);
    const id = importIdOf(await upload(owner, SLUG, `${lines.join("\n")}\n`, { fileName: "big.csv" }));
    const page = await patiently(() => owner.get(`/t/${SLUG}/imports/${id}`));
    const form = owner.forms(page.text).find((f) => f.action.endsWith(`/imports/${id}/mapping`));
    if (!form) throw new Error(`no mapping form:\n${page.text.slice(0, 3000)}`);
    const checked = await waitTask(
      owner,
      (await patiently(() => owner.submit(form, {}))).headers.get("location"),
    );
    expect(checked.status).toBe("Done.");
    const [stored] = await sql<{ file: string | null }>(
      "SELECT stored_file AS file FROM imports WHERE id = ?",
      id,
    );
    if (!stored?.file) throw new Error("no stored file");
    const sent = await patiently(() => owner.post(`/t/${SLUG}/imports/${id}/run`, {}));
    expect(sent.status).toBe(303);
    const runTask = sent.headers.get("location");
    // Killed half-way: some rows are in, far from all.
    await until("rows are written", async () => {
      const n = (await sql<{ n: number }>("SELECT count(*) AS n FROM contacts"))[0]?.n ?? 0;
      return n > 1000;
    });
    await server.kill();
    const written = (await sql<{ n: number }>("SELECT count(*) AS n FROM contacts"))[0]?.n ?? 0;
    expect(written).toBeGreaterThan(1000);
    expect(written).toBeLessThan(ROWS);

    server = await startServer({ dataDir: dir.path });
    owner = await signIn(server.url, SLUG, "owner@crash.test");
    await until(
      "the import says it was taken back",
      async () =>
        (await patiently(() => owner.get(`/t/${SLUG}/imports/${id}`))).text.includes(
          "Interrupted; everything it wrote was taken back.",
        ),
      120_000,
    );
    // As before, but for the taking back's own log entries (the run's were committed: a copy
    // following the changes feed must learn its records went).
    expectTakenBack(await dump(), before);
    // The killed run's page no longer says it is working, nor offers a Cancel that does nothing.
    const old = await patiently(() => owner.get(runTask as string));
    expect(old.text).toContain("interrupted: the server stopped; what it wrote is taken back");
    expect(old.text).not.toContain("Working");
    expect(old.text).not.toContain(">Cancel</button>");
    // Nothing reads the upload again.
    await until("the upload is let go", async () => {
      const [row] = await sql<{ file: string | null }>(
        "SELECT stored_file AS file FROM imports WHERE id = ?",
        id,
      );
      return row?.file === null;
    });
    expect(existsSync(join(dir.path, stored.file))).toBe(false);
  }, 300_000);
});
