import { createTenant } from "../auth/create-tenant.ts";
import { newTenantInput } from "../auth/new-tenant-input.ts";
import { PasswordHasher } from "../auth/password-hasher.ts";
import { joinCluster } from "../cluster/cluster-member.ts";
import { loadConfig } from "../core/config.ts";
import { ValidationError } from "../core/errors.ts";
import { parseOrThrow } from "../core/validation.ts";
import { isCorruption } from "../tenancy/shard-faults.ts";
import { ShardManager } from "../tenancy/shard-manager.ts";
import { type Command, DATA_HELP, stringFlag, UsageError } from "./command.ts";
import { openData, openExistingCatalog } from "./open-data.ts";

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
      // In a cluster, a workspace is made only on the host placement gives it (as sign-up does).
      const member = joinCluster(config);
      const placed = member?.ownerOf(input.slug);
      if (member && placed?.name !== member.hostName)
        throw new UsageError(
          `${input.slug} belongs to host ${placed?.name ?? "(none)"} in ${config.clusterFile}: create it there`,
        );
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
    const { dataDir } = loadConfig(process.env, { dataDir: values.data as string | undefined });
    const catalog = openExistingCatalog(dataDir);
    try {
      const tenants = catalog.list();
      if (tenants.length === 0) console.log("no workspaces yet (create one: crm tenants create <slug> …)");
      for (const t of tenants) {
        console.log(
          `${t.slug.padEnd(40)} ${(t.failure ? "failed" : t.status).padEnd(12)} ${t.id}  ${t.file}  ${new Date(t.createdAt).toISOString()}  ${t.name}${t.failure ? `  (failed: ${t.failure}; see crm tenants check)` : ""}`,
        );
      }
      return 0;
    } finally {
      catalog.close();
    }
  },
};

export const tenantsCheck: Command = {
  name: "tenants check",
  summary: "check a workspace's file and serve it again if it is sound",
  help: `Usage: crm tenants check <slug> [--data DIR]

Opens the workspace's file as the server does (it must be there, belong to this workspace and
be at a schema this build knows), runs SQLite's quick_check over it, and if all is well clears
the mark that made the server answer "workspace unavailable" (503): the running servers serve it
again at once. Exits 1, saying why, if the file is still missing, replaced or damaged; the mark
then stays (restore the file from a backup first).
${DATA_HELP}`,
  options: {},
  positionals: 1,
  async run(values, [slug]) {
    const data = openData(values);
    let reason: string | undefined;
    const shards = new ShardManager({
      dataDir: data.config.dataDir,
      maxOpen: 1,
      onFault: (_, why) => {
        reason ??= why;
      },
    });
    try {
      const tenant = data.tenant(slug ?? "");
      try {
        await shards.use(tenant, (shard) => {
          const found = shard.sqlite.query("PRAGMA quick_check").values() as [string][];
          const problems = found.map((row) => row[0]).filter((line) => line !== "ok");
          if (problems.length) reason = `quick_check found: ${problems.slice(0, 5).join("; ")}`;
        });
      } catch (error) {
        reason ??= isCorruption(error) ? `the file is damaged (${String(error)})` : String(error);
      }
      if (reason) {
        data.catalog.markFailed(tenant.id, reason, Date.now());
        console.error(`workspace ${tenant.slug} is still unavailable: ${reason}`);
        if (tenant.failure)
          console.error(
            `marked failed since ${new Date(tenant.failedAt ?? 0).toISOString()}: ${tenant.failure}`,
          );
        return 1;
      }
      data.catalog.clearFailure(tenant.id);
      console.log(
        tenant.failure
          ? `workspace ${tenant.slug} is sound again (was: ${tenant.failure}); it is served again`
          : `workspace ${tenant.slug} is sound`,
      );
      return 0;
    } finally {
      shards.closeAll();
      data.close();
    }
  },
};
