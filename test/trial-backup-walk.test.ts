/**
 * README "Backups", step 1 of the restore procedure followed literally: the copies are checked
 * where they are kept with `crm backup verify --backups DIR`, e.g. weekly from cron. A directory
 * the copies never reached (rsync missing or failing, a mount absent) must not pass.
 */
import { afterAll, expect, it } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { crm } from "./support/backup-cli.ts";
import { tempDir } from "./support/temp-dir.ts";

const root = tempDir("crm-verify-walk-");
afterAll(() => root.remove());

it("crm backup verify of a backup directory holding no snapshot fails (exit 1) and says so", async () => {
  const copies = join(root.path, "copies");
  mkdirSync(copies);
  const run = await crm(join(root.path, "data"), ["backup", "verify", "--backups", copies]);
  expect(run.stderr).toContain(`no snapshots in ${copies}: nothing verified`);
  expect(run.code).toBe(1);
});
