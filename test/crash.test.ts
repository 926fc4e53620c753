import { Database } from "bun:sqlite";
import { afterAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

const KILLS = 20;
const dir = tempDir();
afterAll(() => dir.remove());

/**
 * Acknowledged writes survive the process being killed at any moment: clients write contacts
 * through the API while the server is SIGKILLed at random and restarted, 20 times.
 */
describe("crash safety", () => {
  it("keeps every acknowledged write across 20 SIGKILLs, and every shard passes integrity_check", async () => {
    const data = new DataDir(dir.path);
    const slugs = ["crash-a", "crash-b"];
    const keys: Record<string, string> = {};
    for (const slug of slugs) {
      await data.tenant(slug);
      keys[slug] = await data.apiKey(slug);
    }
    const files = slugs.map((s) => data.get(s).file);
    data.close();

    const acknowledged = new Map<string, { slug: string; id: number }>();
    let attempted = 0;
    let seq = 0;
    for (let round = 0; round < KILLS; round++) {
      const server: TestServer = await startServer({ dataDir: dir.path });
      let running = true;
      const writer = async (slug: string) => {
        while (running) {
          const email = `w${seq++}@crash.test`;
          attempted++;
          try {
            const response = await fetch(`${server.url}/api/v1/t/${slug}/contacts`, {
              method: "POST",
              headers: { authorization: `Bearer ${keys[slug]}`, "content-type": "application/json" },
              body: JSON.stringify({ firstName: "Crash", lastName: String(seq), email, tags: ["crash"] }),
            });
            if (response.status === 201) {
              const body = (await response.json()) as { id: number };
              acknowledged.set(email, { slug, id: body.id });
            }
          } catch {
            // The connection died with the server: this write was never acknowledged.
          }
        }
      };
      const writers = [...slugs, ...slugs].map(writer);
      await Bun.sleep(60 + Math.floor(Math.random() * 240));
      await server.kill();
      running = false;
      await Promise.all(writers);
    }
    // Enough acknowledged writes that every kill lands among them (fewer when the machine is busy).
    expect(acknowledged.size).toBeGreaterThan(KILLS * 2);

    for (const [i, slug] of slugs.entries()) {
      const sqlite = new Database(join(dir.path, files[i] as string));
      expect(sqlite.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
      // FTS5 raises SQLITE_CORRUPT_VTAB here if the index disagrees with the table.
      sqlite.run("INSERT INTO contacts_fts(contacts_fts) VALUES ('integrity-check')");
      const stored = new Map(
        (sqlite.query("SELECT id, email FROM contacts").all() as { id: number; email: string }[]).map((r) => [
          r.email,
          r.id,
        ]),
      );
      for (const [email, ack] of acknowledged) {
        if (ack.slug === slug) expect([email, stored.get(email)]).toEqual([email, ack.id]);
      }
      // Each acknowledged contact was logged in the same transaction.
      const logged = sqlite
        .query("SELECT count(*) AS n FROM interactions WHERE kind = 'contact.created'")
        .get() as { n: number };
      expect(logged.n).toBe(stored.size);
      sqlite.close();
    }
    console.log(
      `crash test: ${acknowledged.size} acknowledged of ${attempted} attempted writes across ${KILLS} kills`,
    );
  }, 120_000);
});
