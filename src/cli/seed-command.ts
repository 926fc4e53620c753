import { seedTenant } from "../seed/seed-tenant.ts";
import { type Command, DATA_HELP, intFlag, stringFlag } from "./command.ts";
import { openData } from "./open-data.ts";

export const seed: Command = {
  name: "seed",
  summary: "add realistic synthetic contacts and companies to a workspace",
  help: `Usage: crm seed --tenant <slug> --contacts N [--seed S] [--data DIR]

  --tenant <slug>  the workspace to fill
  --contacts N     how many people to add (about one company per 8)
  --seed S         random seed (default 1): the same seed gives the same data
${DATA_HELP}`,
  options: { tenant: { type: "string" }, contacts: { type: "string" }, seed: { type: "string" } },
  async run(values) {
    const contacts = intFlag(values, "contacts");
    const seedValue = intFlag(values, "seed", 1);
    const data = openData(values);
    try {
      const tenant = data.tenant(stringFlag(values, "tenant"));
      const result = await data.shards.use(tenant, (shard) =>
        seedTenant(shard, { contacts, seed: seedValue }),
      );
      console.log(
        `seeded ${tenant.slug}: ${result.contacts} contacts, ${result.companies} companies in ${result.ms} ms`,
      );
      return 0;
    } finally {
      data.close();
    }
  },
};
