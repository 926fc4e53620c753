import type { Command } from "./command.ts";

/**
 * Each command file and the names of the commands it defines, in the order `crm --help` lists
 * them. A file is loaded only when one of its commands runs (all of them for the list): loading
 * every command before running one (the server, the importer, DuckDB's bindings…) cost about
 * 0.15–0.3 s of each `crm analytics export` or `run`. src/cli/command-files.test.ts checks
 * the names against the files.
 */
export const COMMAND_FILES: { names: string[]; load: () => Promise<Command[]> }[] = [
  { names: ["serve"], load: async () => [(await import("./serve-command.ts")).serve] },
  {
    names: ["tenants create", "tenants list", "tenants check"],
    load: async () => {
      const { tenantsCreate, tenantsList, tenantsCheck } = await import("./tenants-command.ts");
      return [tenantsCreate, tenantsList, tenantsCheck];
    },
  },
  {
    names: ["operators add", "operators list", "operators remove"],
    load: async () => {
      const { operatorsAdd, operatorsList, operatorsRemove } = await import("./operators-command.ts");
      return [operatorsAdd, operatorsList, operatorsRemove];
    },
  },
  { names: ["apikeys create"], load: async () => [(await import("./apikeys-command.ts")).apikeysCreate] },
  { names: ["seed"], load: async () => [(await import("./seed-command.ts")).seed] },
  { names: ["migrate"], load: async () => [(await import("./migrate-command.ts")).migrate] },
  { names: ["routes"], load: async () => [(await import("./routes-command.ts")).routes] },
  { names: ["import"], load: async () => [(await import("./import-command.ts")).importCommand] },
  { names: ["export"], load: async () => [(await import("./export-command.ts")).exportCommand] },
  { names: ["backup"], load: async () => [(await import("./backup-command.ts")).backupCommand] },
  { names: ["cluster move"], load: async () => [(await import("./cluster-move-command.ts")).clusterMove] },
  {
    names: ["backup now", "backup list", "backup verify", "backup restore"],
    load: async () => {
      const [now, list, restore] = await Promise.all([
        import("./backup-now-command.ts"),
        import("./backup-list-command.ts"),
        import("./backup-restore-command.ts"),
      ]);
      return [now.backupNow, list.backupList, list.backupVerify, restore.backupRestore];
    },
  },
  { names: ["loadtest"], load: async () => [(await import("./loadtest-command.ts")).loadtest] },
  {
    names: [
      "analytics",
      "analytics export",
      "analytics run",
      "analytics status",
      "analytics query",
      "analytics apply",
    ],
    load: async () => (await import("./analytics-command.ts")).ANALYTICS_COMMANDS,
  },
  {
    names: [
      "cluster hosts add",
      "cluster hosts remove",
      "cluster place",
      "cluster show",
      "cluster nginx-config",
    ],
    load: async () => (await import("./cluster-command.ts")).CLUSTER_COMMANDS,
  },
];

/** Every command, for the list (`crm --help`, an unknown command). */
export async function allCommands(): Promise<Command[]> {
  return (await Promise.all(COMMAND_FILES.map((file) => file.load()))).flat();
}

/** The command named by the first one, two or three words of argv (the longest first), loading only its file. */
export async function findCommand(argv: string[]): Promise<{ command: Command; rest: string[] } | undefined> {
  for (const words of [3, 2, 1]) {
    const name = argv.slice(0, words).join(" ");
    const file = COMMAND_FILES.find((f) => f.names.includes(name));
    if (!file) continue;
    const command = (await file.load()).find((c) => c.name === name);
    if (command) return { command, rest: argv.slice(words) };
  }
  return undefined;
}
