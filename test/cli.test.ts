import { afterAll, describe, expect, it } from "bun:test";
import { fileURLToPath } from "node:url";
import { OPENAPI_DOCUMENT } from "../src/api/openapi.ts";
import { FAST_HASHING, startServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api } from "./support/workspace.ts";

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const dir = tempDir();
afterAll(() => dir.remove());

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

describe("crm CLI", () => {
  it("refuses a setting out of its range with one line naming it and its range, exit 2, and starts nothing", async () => {
    for (const [name, value, range] of [
      ["CRM_WORKER_NICE", "25", "from 0 to 19"],
      ["CRM_BUSY_RETRY_MS", "1000000000", "from 0 to 60000"],
      ["CRM_CHECKPOINT_WAL_BYTES", "10", "≥ 65536"],
      ["CRM_WORKERS", "abc", "≥ 1"],
    ] as const) {
      const proc = Bun.spawn([process.execPath, CLI, "serve", "--port", "0"], {
        env: { ...process.env, ...FAST_HASHING, CRM_DATA: dir.path, [name]: value },
        stdout: "pipe",
        stderr: "pipe",
      });
      const [stdout, stderr, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      expect({ name, code, stdout, stderr }).toEqual({
        name,
        code: 2,
        stdout: "",
        stderr: `crm serve: ${name} must be an integer ${range}, got "${value}"\n`,
      });
    }
  });

  it("lists its commands, and explains each with --help", async () => {
    const help = await crm("--help");
    expect(help.code).toBe(0);
    for (const name of ["serve", "tenants create", "tenants list", "apikeys create", "seed", "migrate"])
      expect(help.stdout).toContain(name);
    for (const command of [
      ["serve"],
      ["tenants", "create"],
      ["tenants", "list"],
      ["apikeys", "create"],
      ["seed"],
      ["migrate"],
    ]) {
      const result = await crm(...command, "--help");
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("Usage: crm");
      expect(result.stdout).toContain("--data DIR");
    }
  });

  it("refuses unknown commands and unknown flags with a usage error", async () => {
    expect((await crm("frobnicate")).code).toBe(2);
    const flag = await crm("tenants", "list", "--colour");
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("--colour");
    expect((await crm("seed", "--tenant", "x", "--contacts", "many")).code).toBe(2);
  });

  it("creates a workspace, lists it, makes an API key that works, seeds it and migrates", async () => {
    const created = await crm(
      "tenants",
      "create",
      "cli-co",
      "--owner-email",
      "boss@cli.test",
      "--owner-password",
      "cli-password-1",
      "--name",
      "CLI Co",
    );
    expect(created.code).toBe(0);
    expect(created.stdout).toContain("created workspace cli-co");

    const invalid = await crm(
      "tenants",
      "create",
      "../etc",
      "--owner-email",
      "x@y.test",
      "--owner-password",
      "cli-password-1",
    );
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain("slug");

    const list = await crm("tenants", "list");
    expect(list.stdout).toMatch(/cli-co\s+active/);

    const key = await crm("apikeys", "create", "--tenant", "cli-co", "--role", "read-only");
    expect(key.code).toBe(0);
    expect(key.stdout.trim()).toMatch(/^crm_[a-z2-7]{16}_[A-Za-z0-9_-]{43}$/);
    expect((await crm("apikeys", "create", "--tenant", "nope")).code).toBe(2);
    expect((await crm("apikeys", "create", "--tenant", "cli-co", "--role", "god")).code).toBe(2);

    const seeded = await crm("seed", "--tenant", "cli-co", "--contacts", "1000", "--seed", "3");
    expect(seeded.code).toBe(0);
    expect(seeded.stdout).toContain("1000 contacts");

    const migrated = await crm("migrate");
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toContain("ok      cli-co");

    const server = await startServer({ dataDir: dir.path });
    try {
      const call = api(server.url, key.stdout.trim());
      const page = await call("GET", "/t/cli-co/contacts?limit=200");
      expect(page.json.data.length).toBe(200);
      expect((await call("POST", "/t/cli-co/contacts", { firstName: "No" })).status).toBe(403);
    } finally {
      await server.stop();
    }
  });
});

describe("npm start's demo", () => {
  it("creates and seeds the demo workspace on first run only, and prints the URL and the sign-in", async () => {
    const demoDir = tempDir();
    try {
      const first = await startServer({ dataDir: demoDir.path, args: ["--demo"] });
      const call = await fetch(`${first.url}/t/demo/login`);
      expect(call.status).toBe(200);
      // The banner is written after the listening line; wait for it rather than guess how long.
      await first.waitForStderr("demo-password");
      expect(first.stderr()).toContain(`${first.url}/t/demo/login`);
      expect(first.stderr()).toContain("demo@example.com");
      expect(first.stderr()).toContain("demo-password");
      await first.stop();
      const second = await startServer({ dataDir: demoDir.path, args: ["--demo"] });
      const ready = await fetch(`${second.url}/readyz`);
      expect(ready.status).toBe(200);
      await second.stop();
      const proc = Bun.spawn([process.execPath, CLI, "tenants", "list", "--data", demoDir.path], {
        stdout: "pipe",
      });
      const out = await new Response(proc.stdout).text();
      expect(out.match(/^demo\s/gm)?.length).toBe(1);
    } finally {
      demoDir.remove();
    }
  }, 60_000);
});

describe("crm routes", () => {
  it("prints the app's route table with each route's guard, read from the app itself", async () => {
    const result = await crm("routes");
    expect(result.code).toBe(0);
    const rows = new Map(
      result.stdout
        .trim()
        .split("\n")
        .slice(1)
        .map((line) => {
          const [method, path, ...guard] = line.split(/\s{2,}/);
          return [`${method} ${path}`, guard.join(" ")];
        }),
    );
    expect(result.stdout.split("\n")[0]).toMatch(/^METHOD\s+PATH\s+GUARD$/);
    for (const [route, guard] of [
      ["GET /healthz", "public"],
      ["GET /t/:tenant/login", "public"],
      ["POST /signup", "public"],
      ["GET /t/:tenant/contacts", "session"],
      ["POST /t/:tenant/contacts", "session + member"],
      ["POST /t/:tenant/views", "session"],
      ["GET /t/:tenant/settings/fields", "session"],
      ["POST /t/:tenant/settings/fields", "session + admin"],
      ["GET /t/:tenant/settings/audit", "session + admin"],
      ["GET /t/:tenant/privacy/workspace.zip", "session + owner"],
      ["GET /api/v1/t/:tenant/contacts", "api key"],
      ["POST /api/v1/t/:tenant/contacts", "api key + member"],
      ["POST /api/v1/t/:tenant/pipelines", "api key + admin"],
    ]) {
      expect(`${route} → ${rows.get(route as string)}`).toBe(`${route} → ${guard}`);
    }
    // The whole surface: every operation the OpenAPI document lists is a row (`:kind` stands for each plural).
    const routes = [...rows.keys()].map((route) => {
      const [method = "", path = ""] = route.split(" ");
      return { method, test: new RegExp(`^${path.replace(/:[^/]+/g, "[^/]+")}$`) };
    });
    for (const [path, item] of Object.entries(OPENAPI_DOCUMENT.paths)) {
      const methods = Object.keys(item).filter((key) =>
        ["get", "post", "patch", "put", "delete"].includes(key),
      );
      for (const method of methods) {
        const route = `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`;
        const listed = routes.some(
          (r) => r.method === method.toUpperCase() && r.test.test(route.split(" ")[1] ?? ""),
        );
        expect(`${route} listed: ${listed}`).toBe(`${route} listed: true`);
      }
    }
  });
});
