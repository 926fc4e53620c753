#!/usr/bin/env bun
/**
 * `crm`: the one entry point for operators and admins. `crm <command> --help` explains each.
 */
import { ANALYTICS_COMMANDS } from "./cli/analytics-command.ts";
import { apikeysCreate } from "./cli/apikeys-command.ts";
import { backupCommand } from "./cli/backup-command.ts";
import { type Command, parseCommandArgs, UsageError } from "./cli/command.ts";
import { exportCommand } from "./cli/export-command.ts";
import { importCommand } from "./cli/import-command.ts";
import { migrate } from "./cli/migrate-command.ts";
import { routes } from "./cli/routes-command.ts";
import { seed } from "./cli/seed-command.ts";
import { serve } from "./cli/serve-command.ts";
import { tenantsCheck, tenantsCreate, tenantsList } from "./cli/tenants-command.ts";
import { ConfigError } from "./core/config.ts";
import { AppError } from "./core/errors.ts";

const COMMANDS: Command[] = [
  serve,
  tenantsCreate,
  tenantsList,
  tenantsCheck,
  apikeysCreate,
  seed,
  migrate,
  routes,
  importCommand,
  exportCommand,
  backupCommand,
  ...ANALYTICS_COMMANDS,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: crm <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Run "crm <command> --help" for a command's options.`;
}

/** Finds the command named by the first one or two words of argv. */
function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(" ");
    const command = COMMANDS.find((c) => c.name === name);
    if (command) return { command, rest: argv.slice(words) };
  }
  return undefined;
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    console.log(usage());
    return argv.length === 0 ? 2 : 0;
  }
  const found = findCommand(argv);
  if (!found) {
    console.error(`crm: unknown command "${argv.slice(0, 2).join(" ")}"\n\n${usage()}`);
    return 2;
  }
  try {
    const { values, positionals } = parseCommandArgs(found.command, found.rest);
    if (values.help) {
      console.log(found.command.help);
      return 0;
    }
    return (await found.command.run(values, positionals)) ?? 0;
  } catch (error) {
    // A refusal of what was asked (an unknown field in --filter, a bad value): its message, no stack.
    if (error instanceof AppError && error.status < 500) {
      console.error(`crm ${found.command.name}: ${error.message}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      console.error(`crm ${found.command.name}: ${error.message}`);
      return 2;
    }
    if (error instanceof UsageError) {
      console.error(`crm ${found.command.name}: ${error.message}\n\n${found.command.help}`);
      return 2;
    }
    console.error(`crm ${found.command.name}: ${(error as Error).stack ?? error}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
