import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ownerOf } from "../../src/cluster/placement.ts";
import { newPlacement, readPlacement, writePlacement } from "../../src/cluster/placement-file.ts";
import { seedTenant } from "../../src/seed/seed-tenant.ts";
import { type CommandResult, runCommand } from "./run-command.ts";
import { startServer, type TestServer } from "./server.ts";
import { tempDir } from "./temp-dir.ts";
import { api, DataDir } from "./workspace.ts";

const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));

/**
 * Real hosts of one cluster on loopback, as `crm cluster move` sees them: each its own data
 * directory and `crm serve` (CRM_HOST_NAME set), all sharing one placement file; the command
 * runs from a directory of its own (the operator's machine), journal there.
 */
export interface MoveCluster {
  root: string;
  placementFile: string;
  servers: Record<string, TestServer>;
  dataDir(host: string): string;
  /** The URL of the host placement gives `slug` now (what nginx's map would pick). */
  ownerUrl(slug: string): string;
  ownerName(slug: string): string;
  /** `crm cluster move …` run to its end (`env` added to its environment). */
  move(args: string[], env?: Record<string, string>): Promise<CommandResult>;
  /** `crm cluster move …` started, for a test that kills it. */
  spawnMove(args: string[]): ReturnType<typeof Bun.spawn>;
  /** The JSON API of `slug` with `key`, at its current owner. */
  api(slug: string, key: string): ReturnType<typeof api>;
  stop(): Promise<void>;
}

/**
 * Starts `hosts` (names), after `setup` made their workspaces (each host's DataDir, closed
 * after); `pins` places slugs on hosts (placement overrides), so a test knows the owner;
 * `serverEnv` is added to every server's environment.
 */
export async function startMoveCluster(
  hosts: string[],
  setup: (data: Record<string, DataDir>) => Promise<void>,
  pins: Record<string, string>,
  serverEnv: Record<string, string> = {},
): Promise<MoveCluster> {
  const dir = tempDir("crm-move-");
  const placementFile = join(dir.path, "cluster.json");
  const dataDir = (host: string) => join(dir.path, host);
  const data: Record<string, DataDir> = {};
  for (const host of hosts) {
    mkdirSync(dataDir(host));
    data[host] = new DataDir(dataDir(host));
  }
  await setup(data);
  for (const d of Object.values(data)) d.close();
  const env = (host: string) => ({ ...serverEnv, CRM_CLUSTER_FILE: placementFile, CRM_HOST_NAME: host });
  // A host joins its cluster at start (the file must list it); the ports are known only once the
  // servers listen, so the hosts' URLs are filled in after (every host follows the file).
  const first = {
    ...newPlacement(),
    hosts: hosts.map((name) => ({ name, url: "http://127.0.0.1:9" })),
    overrides: pins,
  };
  writePlacement(placementFile, first);
  const servers: Record<string, TestServer> = {};
  await Promise.all(
    hosts.map(async (host) => {
      servers[host] = await startServer({ dataDir: dataDir(host), env: env(host) });
    }),
  );
  writePlacement(placementFile, {
    ...first,
    version: first.version + 1,
    hosts: hosts.map((name) => ({ name, url: (servers[name] as TestServer).url })),
  });
  const operator = join(dir.path, "operator");
  mkdirSync(operator);
  const ownerOfSlug = (slug: string) => {
    const owner = ownerOf(readPlacement(placementFile), slug);
    if (!owner) throw new Error(`no owner for ${slug}`);
    return owner;
  };
  const cliEnv = { ...process.env, CRM_CLUSTER_FILE: placementFile };
  return {
    root: dir.path,
    placementFile,
    servers,
    dataDir,
    ownerUrl: (slug) => ownerOfSlug(slug).url,
    ownerName: (slug) => ownerOfSlug(slug).name,
    move: (args, env = {}) =>
      runCommand([process.execPath, CLI, "cluster", "move", ...args, "--data", operator], {
        env: { ...cliEnv, ...env },
      }),
    spawnMove: (args) =>
      Bun.spawn([process.execPath, CLI, "cluster", "move", ...args, "--data", operator], {
        env: cliEnv,
        stdout: "pipe",
        stderr: "pipe",
      }),
    api: (slug, key) => api(ownerOfSlug(slug).url, key),
    async stop() {
      await Promise.all(Object.values(servers).map((s) => s.stop()));
      dir.remove();
    },
  };
}

/**
 * Hosts a and b with `slugs` on a, each seeded with `contacts` contacts (0: just the owner), and
 * an owner's API key for each: what every move test starts from.
 */
export async function workspacesOnA(
  slugs: string[],
  contacts = 0,
  serverEnv: Record<string, string> = {},
): Promise<{ cluster: MoveCluster; keys: Record<string, string> }> {
  const keys: Record<string, string> = {};
  const cluster = await startMoveCluster(
    ["a", "b"],
    async ({ a }) => {
      if (!a) throw new Error("no host a");
      for (const slug of slugs) {
        const tenant = await a.tenant(slug);
        if (contacts > 0) await a.shards.use(tenant, (shard) => seedTenant(shard, { contacts, seed: 7 }));
        keys[slug] = await a.apiKey(slug, "owner");
      }
    },
    Object.fromEntries(slugs.map((slug) => [slug, "a"])),
    serverEnv,
  );
  return { cluster, keys };
}
