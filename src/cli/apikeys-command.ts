import { createApiKey } from "../auth/api-keys.ts";
import { ROLES, type Role } from "../identity/roles.ts";
import { type Command, DATA_HELP, stringFlag, UsageError } from "./command.ts";
import { openData } from "./open-data.ts";

export const apikeysCreate: Command = {
  name: "apikeys create",
  summary: "create an API key for a workspace (printed once)",
  help: `Usage: crm apikeys create --tenant <slug> [--name N] [--role R] [--data DIR]

  --tenant <slug>  the workspace the key is for (it works for no other)
  --name N         what the key is for (default: "cli")
  --role R         owner, admin, member (default) or read-only
${DATA_HELP}`,
  options: { tenant: { type: "string" }, name: { type: "string" }, role: { type: "string" } },
  async run(values) {
    const role = (values.role as string | undefined) ?? "member";
    if (!ROLES.includes(role as Role)) throw new UsageError(`--role must be one of ${ROLES.join(", ")}`);
    const name = ((values.name as string | undefined) ?? "cli").trim();
    if (!name || name.length > 100) throw new UsageError("--name must be 1–100 characters");
    const data = openData(values);
    try {
      const tenant = data.tenant(stringFlag(values, "tenant"));
      const { key } = await data.shards.use(tenant, (shard) =>
        createApiKey(shard, { name, role: role as Role, createdBy: null }),
      );
      console.log(key);
      console.error(`API key "${name}" (${role}) for ${tenant.slug}: store it now, it is not shown again.`);
      return 0;
    } finally {
      data.close();
    }
  },
};
