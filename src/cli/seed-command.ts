import {
  DEALS_PER_CONTACT,
  DEFAULT_MAX_INTERACTIONS,
  INTERACTIONS_PER_CONTACT,
  seedTenant,
} from "../seed/seed-tenant.ts";
import { type Command, DATA_HELP, intFlag, stringFlag } from "./command.ts";
import { openData } from "./open-data.ts";

export const seed: Command = {
  name: "seed",
  summary: "add realistic synthetic contacts, companies, deals, tasks, notes and history to a workspace",
  help: `Usage: crm seed --tenant <slug> --contacts N [--seed S] [--deals N]
                [--interactions-per-contact N] [--data DIR]

Adds people and companies, deals in the Sales and Partnerships pipelines (Partnerships is
created if missing), tasks, notes, and their history in the interaction log, in one transaction.

  --tenant <slug>  the workspace to fill
  --contacts N     how many people to add (about one company per 8)
  --seed S         random seed (default 1): the same seed on the same day gives the same data
  --deals N        deals to add (default ${DEALS_PER_CONTACT} per contact); 0 for none
  --interactions-per-contact N
                   interaction log entries per contact, all kinds together: records and
                   deals created, stage changes, notes, completed tasks, and calls, meetings
                   and emails for the rest (default ${INTERACTIONS_PER_CONTACT}, but at most ${DEFAULT_MAX_INTERACTIONS.toLocaleString("en-US")} in all
                   unless given)
${DATA_HELP}`,
  options: {
    tenant: { type: "string" },
    contacts: { type: "string" },
    seed: { type: "string" },
    deals: { type: "string" },
    "interactions-per-contact": { type: "string" },
  },
  async run(values) {
    const contacts = intFlag(values, "contacts");
    const seedValue = intFlag(values, "seed", 1);
    const deals = intFlag(values, "deals", Math.round(contacts * DEALS_PER_CONTACT));
    const interactionsPerContact =
      values["interactions-per-contact"] === undefined
        ? undefined
        : intFlag(values, "interactions-per-contact");
    const data = openData(values);
    try {
      const tenant = data.tenant(stringFlag(values, "tenant"));
      const result = await data.shards.use(tenant, (shard) =>
        seedTenant(shard, { contacts, seed: seedValue, deals, interactionsPerContact }),
      );
      console.log(
        `seeded ${tenant.slug}: ${result.contacts} contacts, ${result.companies} companies, ${result.deals} deals, ` +
          `${result.tasks} tasks, ${result.notes} notes, ${result.interactions} interactions in ${result.ms} ms`,
      );
      return 0;
    } finally {
      data.close();
    }
  },
};
