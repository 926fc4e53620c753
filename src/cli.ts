#!/usr/bin/env bun
/**
 * `crm`: the one entry point for operators and admins. `crm <command> --help` explains each.
 */
import { type Command, parseCommandArgs, UsageError } from "./cli/command.ts";
import { allCommands, findCommand } from "./cli/command-files.ts";
import { ConfigError } from "./core/config.ts";
import { AppError } from "./core/errors.ts";

function usage(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `Usage: crm <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Run "crm <command> --help" for a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    console.log(usage(await allCommands()));
    return argv.length === 0 ? 2 : 0;
  }
  const found = await findCommand(argv);
  if (!found) {
    console.error(`crm: unknown command "${argv.slice(0, 2).join(" ")}"\n\n${usage(await allCommands())}`);
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
