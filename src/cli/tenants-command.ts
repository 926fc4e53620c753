import { createTenant } from "../auth/create-tenant.ts";
import { newTenantInput } from "../auth/new-tenant-input.ts";
import { PasswordHasher } from "../auth/password-hasher.ts";
import { loadConfig } from "../core/config.ts";
import { ValidationError } from "../core/errors.ts";
import { parseOrThrow } from "../core/validation.ts";
import { type Command, DATA_HELP, stringFlag, UsageError } from "./command.ts";
import { openData } from "./open-data.ts";

export const tenantsCreate: Command = {
  name: "tenants create",
  summary: "create a workspace and its owner",
  help: `Usage: crm tenants create <slug> --owner-email E --owner-password P [--name N] [--owner-name N] [--data DIR]

  <slug>             the workspace's address: /t/<slug>/ (2–40 lower-case letters, digits, hyphens)
  --owner-email E    the owner's sign-in email
  --owner-password P the owner's password (10+ characters)
  --name N           the business name (default: the slug)
  --owner-name N     the owner's display name (default: the part of the email before @)
${DATA_HELP}`,
  options: {
    "owner-email": { type: "string" },
    "owner-password": { type: "string" },
    name: { type: "string" },
    "owner-name": { type: "string" },
  },
  positionals: 1,
  async run(values, [slug]) {
    const data = openData(values);
    try {
      const email = stringFlag(values, "owner-email");
      const config = loadConfig(process.env, { dataDir: data.config.dataDir });
      const hasher = new PasswordHasher({
        concurrency: 1,
        maxWaiting: 0,
        memoryCostKiB: config.argon2MemoryKiB,
        timeCost: config.argon2TimeCost,
      });
      const input = parseOrThrow(newTenantInput, {
        slug,
        name: (values.name as string | undefined) ?? slug,
        ownerName: (values["owner-name"] as string | undefined) ?? email.split("@")[0],
        ownerEmail: email,
        ownerPassword: stringFlag(values, "owner-password"),
      });
      const { tenant, owner } = await createTenant(data.catalog, hasher, input);
      console.log(`created workspace ${tenant.slug} (${tenant.id}) with owner ${owner.email}`);
      console.log(`sign in at /t/${tenant.slug}/login`);
      return 0;
    } catch (error) {
      if (error instanceof ValidationError)
        throw new UsageError(error.issues.map((i) => `${i.field}: ${i.message}`).join("; "));
      throw error;
    } finally {
      data.close();
    }
  },
};

export const tenantsList: Command = {
  name: "tenants list",
  summary: "list the workspaces this host serves",
  help: `Usage: crm tenants list [--data DIR]

${DATA_HELP}`,
  options: {},
  run(values) {
    const data = openData(values);
    try {
      const tenants = data.catalog.list();
      if (tenants.length === 0) console.log("no workspaces yet (create one: crm tenants create <slug> …)");
      for (const t of tenants) {
        console.log(
          `${t.slug.padEnd(40)} ${t.status.padEnd(12)} ${t.id}  ${t.file}  ${new Date(t.createdAt).toISOString()}  ${t.name}`,
        );
      }
      return 0;
    } finally {
      data.close();
    }
  },
};
