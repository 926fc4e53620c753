import { type Command, DATA_HELP } from "./command.ts";
import { openData } from "./open-data.ts";

export const migrate: Command = {
  name: "migrate",
  summary: "bring the catalog and every workspace file up to the current schema",
  help: `Usage: crm migrate [--data DIR]

Shards also migrate by themselves when first opened; this does all of them now, one at a time
(e.g. before a release, so no request pays for it).
${DATA_HELP}`,
  options: {},
  async run(values) {
    const data = openData(values);
    let failed = 0;
    try {
      for (const tenant of data.catalog.list()) {
        if (tenant.status === "provisioning") continue;
        try {
          await data.shards.use(tenant, () => undefined);
          // One at a time: never hold thousands of files open.
          data.shards.closeAll();
          console.log(`ok      ${tenant.slug}`);
        } catch (error) {
          failed++;
          console.error(`FAILED  ${tenant.slug}: ${(error as Error).message}`);
        }
      }
      console.log(failed ? `${failed} workspace(s) failed to migrate` : "all workspaces are up to date");
      return failed ? 1 : 0;
    } finally {
      data.close();
    }
  },
};
