import { existsSync } from "node:fs";
import { join } from "node:path";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, PasswordHasher } from "../auth/password-hasher.ts";
import { loadConfig } from "../core/config.ts";
import { ValidationError } from "../core/errors.ts";
import { listOperators, operatorEmail, removeOperator, saveOperator } from "../ops/operators.ts";
import { CATALOG_FILE, Catalog } from "../tenancy/catalog.ts";
import { type Command, DATA_HELP, UsageError } from "./command.ts";

/** An email as operators are kept, or a usage error saying what is wrong with it. */
function emailArgument(raw: string | undefined): string {
  try {
    return operatorEmail(raw ?? "");
  } catch (error) {
    if (error instanceof ValidationError) throw new UsageError(`"${raw}" is not an email address`);
    throw error;
  }
}

/** The password piped in: its first line, never echoed, never in the shell's history or `ps`. */
async function passwordFromStdin(): Promise<string> {
  const text = await new Response(Bun.stdin.stream()).text();
  const password = text.split(/\r?\n/)[0] ?? "";
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH)
    throw new UsageError(
      `the password on stdin must be ${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters (got ${password.length})`,
    );
  return password;
}

export const operatorsAdd: Command = {
  name: "operators add",
  summary: "let someone sign in to the ops dashboard (/ops)",
  help: `Usage: crm operators add <email> --password-stdin [--data DIR]

Makes <email> an operator of this host: they sign in at /ops/login with the password read from
stdin's first line (10–200 characters), e.g. printf '%s\\n' "$PW" | crm operators add a@b.c --password-stdin.
Operators are the host's, not a workspace's: no workspace account, its owner's included, opens
/ops. Adding an operator who exists sets a new password and signs them out everywhere.

  --password-stdin   read the password from stdin (required)
${DATA_HELP}`,
  options: { "password-stdin": { type: "boolean" } },
  positionals: 1,
  async run(values, [raw]) {
    const email = emailArgument(raw);
    if (!values["password-stdin"])
      throw new UsageError(
        "--password-stdin is required: pipe the operator's password in (never on the command line)",
      );
    const password = await passwordFromStdin();
    const config = loadConfig(process.env, { dataDir: values.data as string | undefined });
    const hasher = new PasswordHasher({
      concurrency: 1,
      maxWaiting: 0,
      memoryCostKiB: config.argon2MemoryKiB,
      timeCost: config.argon2TimeCost,
    });
    const hash = await hasher.hash(password);
    const catalog = Catalog.open(config.dataDir);
    try {
      const done = saveOperator(catalog, email, hash, Date.now());
      console.log(`${done === "added" ? "added" : "updated (new password; signed out)"} operator ${email}`);
      console.log("sign in at /ops/login");
      return 0;
    } finally {
      catalog.close();
    }
  },
};

export const operatorsList: Command = {
  name: "operators list",
  summary: "list the host's operators",
  help: `Usage: crm operators list [--data DIR]

${DATA_HELP}`,
  options: {},
  run(values) {
    const { dataDir } = loadConfig(process.env, { dataDir: values.data as string | undefined });
    // A host with no catalog yet has no operators either: say so, and create nothing.
    const catalog = existsSync(join(dataDir, CATALOG_FILE)) ? Catalog.open(dataDir) : undefined;
    try {
      const operators = catalog ? listOperators(catalog) : [];
      if (operators.length === 0)
        console.log("no operators (add one: crm operators add <email> --password-stdin)");
      for (const o of operators)
        console.log(`${o.email.padEnd(40)} since ${new Date(o.createdAt).toISOString()}`);
      return 0;
    } finally {
      catalog?.close();
    }
  },
};

export const operatorsRemove: Command = {
  name: "operators remove",
  summary: "remove an operator and end their sessions",
  help: `Usage: crm operators remove <email> [--data DIR]

${DATA_HELP}`,
  options: {},
  positionals: 1,
  run(values, [raw]) {
    const email = emailArgument(raw);
    const { dataDir } = loadConfig(process.env, { dataDir: values.data as string | undefined });
    if (!existsSync(join(dataDir, CATALOG_FILE)))
      throw new UsageError(`no operator ${email} (see: crm operators list)`);
    const catalog = Catalog.open(dataDir);
    try {
      removeOperator(catalog, email);
      console.log(`removed operator ${email} (their sessions are ended)`);
      return 0;
    } catch (error) {
      if (error instanceof ValidationError)
        throw new UsageError(`no operator ${email} (see: crm operators list)`);
      throw error;
    } finally {
      catalog.close();
    }
  },
};
