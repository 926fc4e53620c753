import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Tenant } from "../src/tenancy/catalog-schema.ts";
import { FAST_HASHING, startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, signIn } from "./support/workspace.ts";

/**
 * `crm import`, the real command over a real data directory, with the server running on the
 * same directory: the same worker tasks as the pages, progress on stderr, the summary with
 * each rejected row's reasons on stdout, exit 1 when the file is refused.
 */
const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const SLUG = "cli-imp";
const dir = tempDir();
const files = tempDir();
let data: DataDir;
let tenant: Tenant;
let server: TestServer;

beforeAll(async () => {
  data = new DataDir(dir.path);
  tenant = await data.tenant(SLUG, "owner@cli.test");
  server = await startServer({ dataDir: dir.path });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
  files.remove();
});

async function crm(...args: string[]) {
  const proc = Bun.spawn([process.execPath, CLI, ...args], {
    env: { ...process.env, ...FAST_HASHING, CRM_DATA: dir.path },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

function csv(name: string, text: string): string {
  const path = join(files.path, name);
  writeFileSync(path, text);
  return path;
}

const sql = <T>(query: string) => data.shards.use(tenant, (s) => s.statement(query).all() as T[]);
const countOf = async (table: "contacts" | "companies" | "interactions") =>
  (await sql<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))[0]?.n;

const PEOPLE = [
  "First Name,Last Name,Email Address,Company Name",
  "Ada,Lovelace,ada@cli.test,Analytical Engines",
  "Grace,Hopper,grace@cli.test,",
  "Bad,Email,not-an-email,",
  "Ada,Twice,ADA@cli.test,",
].join("\n");

describe("crm import", () => {
  it("explains itself", async () => {
    const help = await crm("import", "--help");
    expect(help.code).toBe(0);
    for (const flag of ["--tenant", "--kind", "--dry-run", "--data"]) expect(help.stdout).toContain(flag);
    const list = await crm("--help");
    expect(list.stdout).toContain("import");
  });

  it("a dry run says what would happen and why rows are rejected, and writes nothing", async () => {
    const file = csv("people.csv", PEOPLE);
    const result = await crm("import", "--tenant", SLUG, file, "--dry-run");
    expect(result.stderr).toContain("Email Address → Email");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("4 rows: 2 to create, 0 to update, 0 to skip, 2 rejected");
    expect(result.stdout).toContain("1 new companies");
    expect(result.stdout).toContain("row 4: Email: must be a valid email address");
    expect(result.stdout).toContain("row 5: the email ada@cli.test is also on row 2");
    expect(result.stdout).toContain("Nothing was written");
    // Not a terminal: plain progress lines, the last at 100%.
    expect(result.stderr).toContain(`${SLUG} contacts: 4 of 4 rows (100%)`);
    expect(result.stderr).not.toContain("\r");
    expect(await countOf("contacts")).toBe(0);
    expect(await countOf("interactions")).toBe(0);
  }, 60_000);

  it("imports while the server runs, through the same services (log entries), and the pages show it", async () => {
    const owner = await signIn(server.url, SLUG, "owner@cli.test");
    const file = csv("people.csv", PEOPLE);
    const result = await crm("import", "--tenant", SLUG, "--kind", "contacts", file);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("4 rows: 2 created, 0 updated, 0 skipped, 2 rejected");
    expect(result.stdout).toMatch(/rejected rows and why: .*imports\/[a-z2-7]{16}\/.*-rejected\.csv/);
    expect(result.stdout).toMatch(new RegExp(`Undo it as a whole at /t/${SLUG}/imports/\\d+`));
    expect(await sql("SELECT first_name AS name, email FROM contacts ORDER BY email")).toEqual([
      { name: "Ada", email: "ada@cli.test" },
      { name: "Grace", email: "grace@cli.test" },
    ]);
    expect(
      (await sql<{ kind: string }>("SELECT kind FROM interactions ORDER BY id")).map((r) => r.kind),
    ).toEqual(["company.created", "contact.created", "contact.created"]);
    const list = await owner.get(`/t/${SLUG}/contacts`);
    expect(list.status).toBe(200);
    expect(list.text).toContain("grace@cli.test");
    const imports = await owner.get(`/t/${SLUG}/imports`);
    expect(imports.text).toContain("people.csv");

    // Again: every row now matches and is up to date.
    const again = await crm("import", "--tenant", SLUG, file);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("4 rows: 0 created, 0 updated, 2 skipped, 2 rejected");
  }, 60_000);

  it("on a terminal, draws a bar redrawn in place", async () => {
    const file = csv("tty.csv", "First Name,Email\nTess,tess@cli.test\nTom,tom@cli.test\n");
    // `script` gives the command a terminal, as a person running it has.
    const proc = Bun.spawn(
      [
        "script",
        "-qec",
        `'${process.execPath}' '${CLI}' import --tenant ${SLUG} --dry-run '${file}'`,
        "/dev/null",
      ],
      {
        env: { ...process.env, ...FAST_HASHING, CRM_DATA: dir.path },
        stdout: "pipe",
        stderr: "pipe",
        stdin: "ignore",
      },
    );
    const [terminal, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect(code).toBe(0);
    expect(terminal).toContain(`\r${SLUG} contacts [${"#".repeat(30)}] 2 of 2 rows (100%)`);
    expect(terminal).toContain("2 rows: 2 to create");
  }, 60_000);

  it("imports companies with --kind companies", async () => {
    const file = csv("companies.csv", "Company Name,Website,City\nBabbage & Co,babbage.test,London\n");
    const result = await crm("import", "--tenant", SLUG, "--kind", "companies", file);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("1 rows: 1 created");
    expect(await sql("SELECT name, domain, city FROM companies WHERE name = 'Babbage & Co'")).toEqual([
      { name: "Babbage & Co", domain: "babbage.test", city: "London" },
    ]);
  }, 60_000);

  it("refuses a file it cannot import with exit 1 and why, and bad arguments with exit 2", async () => {
    const before = await countOf("contacts");
    const empty = await crm("import", "--tenant", SLUG, csv("empty.csv", ""));
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("the file is empty");
    const header = await crm("import", "--tenant", SLUG, csv("header.csv", "First Name,Email\n"));
    expect(header.code).toBe(1);
    expect(header.stderr).toContain("the file has a header row but no rows under it");
    const unmapped = await crm("import", "--tenant", SLUG, csv("odd.csv", "Colour,Shape\nred,round\n"));
    expect(unmapped.code).toBe(1);
    expect(unmapped.stderr).toContain("map a column to First name or Full name");
    const kind = await crm("import", "--tenant", SLUG, "--kind", "tasks", csv("x.csv", PEOPLE));
    expect(kind.code).toBe(2);
    expect(kind.stderr).toContain("--kind must be contacts, companies or deals");
    const missing = await crm("import", "--tenant", SLUG, join(files.path, "nope.csv"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no such file");
    const tenantless = await crm("import", "--tenant", "nobody", csv("y.csv", PEOPLE));
    expect(tenantless.code).toBe(2);
    expect(tenantless.stderr).toContain('no workspace "nobody"');
    expect(await countOf("contacts")).toBe(before);
  }, 60_000);
});
