import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { crm, seedWorkspaces } from "./analytics-export.fixture.ts";
import { tempDir } from "./support/temp-dir.ts";

const dir = tempDir("crm-analytics-repair-");
afterAll(() => dir.remove());

beforeAll(async () => {
  await seedWorkspaces(dir.path, [
    { slug: "north", contacts: 6 },
    { slug: "south", contacts: 5 },
  ]);
});

describe("analytics settings", () => {
  it("refuses a DuckDB memory limit that is too small, too large or not a size with one line, exit 2, before any run", async () => {
    for (const [value, command] of [
      ["1KB", "export"],
      ["999999TB", "export"],
      ["63MB", "run"],
      ["2 bananas", "run"],
    ] as const) {
      const warehouse = join(dir.path, `w-${command}`);
      const refused = await crm(dir.path, ["analytics", command, "--warehouse", warehouse], {
        CRM_ANALYTICS_MEMORY: value,
      });
      expect(refused).toEqual({
        code: 2,
        stdout: "",
        stderr: `crm analytics ${command}: CRM_ANALYTICS_MEMORY must be a size such as 512MB or 2GB (64MB to 1024TB), got "${value}"\n`,
      });
      expect(existsSync(warehouse)).toBe(false);
    }
    const threads = await crm(dir.path, ["analytics", "export", "--warehouse", join(dir.path, "w-t")], {
      CRM_ANALYTICS_THREADS: "two",
    });
    expect(threads.code).toBe(2);
    expect(threads.stderr.trim().split("\n")).toEqual([
      'crm analytics export: CRM_ANALYTICS_THREADS must be an integer from 1 to 1024, got "two"',
    ]);
  });
});
