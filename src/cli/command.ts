import { type ParseArgsConfig, parseArgs } from "node:util";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

/** One `crm` subcommand: its flags (parsed strictly, so an unknown flag is an error) and what it does. */
export interface Command {
  name: string;
  summary: string;
  /** The usage lines and flag descriptions shown by --help. */
  help: string;
  options: OptionSpec;
  /** How many arguments it takes at most: a number, or "any" (a list, e.g. of slugs). Default 0. */
  positionals?: number | "any";
  /** The fewest arguments it takes, when some are optional (default: exactly `positionals`). */
  minPositionals?: number;
  run(
    values: Record<string, string | boolean | undefined>,
    positionals: string[],
  ): Promise<number | undefined> | number | undefined;
}

export class UsageError extends Error {}

/** Every command takes --data and --help. */
export const COMMON_OPTIONS = {
  data: { type: "string" },
  help: { type: "boolean", short: "h" },
} satisfies OptionSpec;

export const DATA_HELP = "  --data DIR       data directory (default: $CRM_DATA or ./data)";

export function parseCommandArgs(command: Command, argv: string[]) {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...command.options },
      strict: true,
      allowPositionals: command.positionals === "any" || (command.positionals ?? 0) > 0,
    });
    const most = command.positionals === "any" ? Number.POSITIVE_INFINITY : (command.positionals ?? 0);
    const least = command.minPositionals ?? (command.positionals === "any" ? 0 : most);
    if (!values.help && (positionals.length < least || positionals.length > most)) {
      const expected =
        least === most
          ? `${most}`
          : most === Number.POSITIVE_INFINITY
            ? `at least ${least}`
            : `${least}–${most}`;
      throw new UsageError(`expected ${expected} argument(s), got ${positionals.length}`);
    }
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message);
  }
}

/** A positive integer flag, or a usage error naming the flag. */
export function intFlag(values: Record<string, unknown>, name: string, fallback?: number): number {
  const raw = values[name];
  if (raw === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new UsageError(`--${name} must be a whole number, got "${raw}"`);
  return n;
}

export function stringFlag(values: Record<string, unknown>, name: string): string {
  const raw = values[name];
  if (typeof raw !== "string" || raw === "") throw new UsageError(`--${name} is required`);
  return raw;
}
