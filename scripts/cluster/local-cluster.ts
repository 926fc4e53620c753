/**
 * A cluster on loopback for tests, benchmarks and trying things (scripts/cluster-up,
 * scripts/cluster-down, test/support/cluster.ts): N hosts (`crm serve`, each with its own data
 * directory), their placement file made with the real `crm cluster hosts add`, and nginx from
 * Debian with the config `crm cluster nginx-config` writes, run as an ordinary user with its
 * prefix inside the cluster's directory. Every process is detached and its pid kept in
 * <dir>/cluster-state.json, so `cluster-down` can stop a cluster another process started.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { readPlacement } from "../../src/cluster/placement-file.ts";

const ROOT = resolve(import.meta.dir, "../..");
const CLI = join(ROOT, "src/cli.ts");
export const NGINX = process.env.CRM_NGINX ?? "/usr/sbin/nginx";
const NOBODY = { uid: 65534, gid: 65534 };

export interface LocalHost {
  name: string;
  url: string;
  port: number;
  dataDir: string;
  pid: number;
}

export interface LocalCluster {
  dir: string;
  /** Where clients go: nginx. */
  front: string;
  placementFile: string;
  hosts: LocalHost[];
  nginx: { pid: number; prefix: string; conf: string };
}

export interface UpOptions {
  /** Everything goes here (default data/cluster). */
  dir: string;
  /** How many hosts (default 3): a, b, c… */
  hosts?: number;
  /** The hosts' ports, in order (default: free ones). */
  ports?: number[];
  /** The front's port (default: a free one). */
  frontPort?: number;
  /** More environment for the hosts (e.g. fast hashing in tests). */
  env?: Record<string, string>;
}

const HOST_NAMES = ["a", "b", "c", "d", "e", "f", "g", "h"];

/** A port nothing listens on now. */
export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

function stateFile(dir: string): string {
  return join(dir, "cluster-state.json");
}

export function readCluster(dir: string): LocalCluster | undefined {
  const file = stateFile(resolve(dir));
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as LocalCluster) : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs `crm …` to the end; throws with its output when it fails. */
export function crm(args: string[], env: Record<string, string> = {}): string {
  const run = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  if (run.status !== 0)
    throw new Error(`crm ${args.join(" ")} exited ${run.status}:\n${run.stdout}${run.stderr}`);
  return run.stdout;
}

/** Resolves once `url` answers 2xx; throws naming `what` after `timeoutMs`. */
export async function waitFor(url: string, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      if (response.ok) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`${what} did not answer ${url} within ${timeoutMs} ms`);
    await Bun.sleep(50);
  }
}

function hostEnv(cluster: Pick<LocalCluster, "placementFile">, name: string, extra: Record<string, string>) {
  return {
    ...process.env,
    CRM_CLUSTER_FILE: cluster.placementFile,
    CRM_HOST_NAME: name,
    // Behind the front: the client's address is the last X-Forwarded-For entry.
    CRM_TRUST_PROXY: "1",
    CRM_PROCS: "1",
    CRM_ANALYTICS_AT: "off",
    ...extra,
  };
}

/** Starts (or starts again) one host of the cluster; resolves once it answers /healthz. */
export async function startHost(
  cluster: Pick<LocalCluster, "dir" | "placementFile">,
  host: Omit<LocalHost, "pid">,
  env: Record<string, string> = {},
): Promise<LocalHost> {
  mkdirSync(host.dataDir, { recursive: true });
  const log = openSync(join(cluster.dir, `${host.name}.log`), "a");
  const child = spawn(
    process.execPath,
    [CLI, "serve", "--host", "127.0.0.1", "--port", String(host.port), "--data", host.dataDir],
    { cwd: ROOT, env: hostEnv(cluster, host.name, env), detached: true, stdio: ["ignore", log, log] },
  );
  child.unref();
  const started = { ...host, pid: child.pid as number };
  await waitFor(`${host.url}/healthz`, `host ${host.name}`);
  return started;
}

/** SIGTERM, then waits until the process is gone (SIGKILL after `graceMs`). */
export async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, "SIGKILL");
      await Bun.sleep(100);
      return;
    }
    await Bun.sleep(25);
  }
}

/** `nginx …` with the cluster's prefix and config, as the user nginx runs as. */
function nginxArgs(cluster: Pick<LocalCluster, "nginx">, more: string[]): string[] {
  const { prefix, conf } = cluster.nginx;
  const base = [NGINX, "-p", prefix, "-c", conf, "-e", join(prefix, "error.log"), ...more];
  // nginx is run as an ordinary user even when this runs as root (as CI does).
  return process.getuid?.() === 0
    ? ["setpriv", `--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, "--clear-groups", ...base]
    : base;
}

/**
 * As root, nginx runs as nobody: it must be able to pass through the cluster's directory to its
 * prefix (the directory is opened for it; a folder above it that others cannot pass is an error
 * that says so, rather than an nginx that never answers).
 */
function letNobodyThrough(dir: string): void {
  if (process.getuid?.() !== 0) return;
  chmodSync(dir, 0o711);
  for (let above = dirname(dir); above !== dirname(above); above = dirname(above))
    if ((statSync(above).mode & 0o001) === 0)
      throw new Error(
        `nginx runs as nobody and cannot reach ${dir}: ${above} is closed to others (chmod o+x it)`,
      );
}

function chownTree(path: string): void {
  if (process.getuid?.() !== 0) return;
  spawnSync("chown", ["-R", `${NOBODY.uid}:${NOBODY.gid}`, path]);
  chownSync(path, NOBODY.uid, NOBODY.gid);
}

/** Writes the front's config again (`crm cluster nginx-config`) from what the hosts hold now. */
export function writeNginxConfig(
  cluster: Pick<LocalCluster, "placementFile" | "nginx">,
  listen: string,
): void {
  crm([
    "cluster",
    "nginx-config",
    "--cluster",
    cluster.placementFile,
    "--listen",
    listen,
    "--out",
    cluster.nginx.conf,
  ]);
  chownTree(cluster.nginx.prefix);
}

/**
 * Starts nginx (in the foreground of its own detached process, so its pid is the master's)
 * over `nginx.conf` with `nginx.prefix` as its prefix, inside the directory `dir`; its output
 * goes to <dir>/nginx.log. Returns the pid.
 */
export function startNginx(dir: string, nginx: LocalCluster["nginx"]): number {
  mkdirSync(join(nginx.prefix, "temp"), { recursive: true });
  letNobodyThrough(dir);
  chownTree(nginx.prefix);
  const [command, ...args] = nginxArgs({ nginx }, ["-g", "daemon off;"]);
  const log = openSync(join(dir, "nginx.log"), "a");
  const child = spawn(command as string, args, { detached: true, stdio: ["ignore", log, log] });
  child.unref();
  return child.pid as number;
}

/** Checks the config and reloads nginx with it (the documented procedure: nginx -t, then -s reload). */
export async function reloadNginx(cluster: LocalCluster): Promise<void> {
  writeNginxConfig(cluster, new URL(cluster.front).host);
  for (const step of [
    ["-t", "-q"],
    ["-s", "reload"],
  ]) {
    const [command, ...args] = nginxArgs(cluster, step);
    const run = spawnSync(command as string, args, { encoding: "utf8" });
    if (run.status !== 0) throw new Error(`nginx ${step.join(" ")} failed:\n${run.stderr}`);
  }
  // The new workers take over within moments; the old ones finish their requests.
  await Bun.sleep(300);
}

/** Starts hosts, placement, nginx; returns the cluster (also kept in <dir>/cluster-state.json). */
export async function clusterUp(options: UpOptions): Promise<LocalCluster> {
  const dir = resolve(options.dir);
  const running = readCluster(dir);
  if (running && [running.nginx.pid, ...running.hosts.map((h) => h.pid)].some(alive))
    throw new Error(
      `a cluster is already running in ${dir} (front ${running.front}): scripts/cluster-down first`,
    );
  mkdirSync(dir, { recursive: true });
  const count = options.hosts ?? 3;
  if (count < 1 || count > HOST_NAMES.length) throw new Error(`hosts: 1 to ${HOST_NAMES.length}`);
  const placementFile = join(dir, "cluster.json");
  const frontPort = options.frontPort ?? freePort();
  const prefix = join(dir, "nginx");
  const cluster: LocalCluster = {
    dir,
    front: `http://127.0.0.1:${frontPort}`,
    placementFile,
    hosts: [],
    nginx: { pid: 0, prefix, conf: join(prefix, "nginx.conf") },
  };
  const save = () => writeFileSync(stateFile(dir), `${JSON.stringify(cluster, null, 2)}\n`);
  try {
    // A cluster started again over its directory keeps its hosts' names and addresses.
    const known = existsSync(placementFile) ? readPlacement(placementFile).hosts : [];
    // Started again without --hosts: the hosts the file lists now (one removed with `crm cluster
    // hosts remove` stays removed). Hosts the file lists start before any is added, since
    // `crm cluster hosts add` asks every listed host what it holds.
    const wanted =
      options.hosts === undefined && known.length ? known.map((h) => h.name) : HOST_NAMES.slice(0, count);
    const names = [
      ...wanted.filter((n) => known.some((h) => h.name === n)),
      ...wanted.filter((n) => !known.some((h) => h.name === n)),
    ];
    for (const [i, name] of names.entries()) {
      const before = known.find((h) => h.name === name);
      const port = options.ports?.[i] ?? (before ? Number(new URL(before.url).port) : freePort());
      const url = `http://127.0.0.1:${port}`;
      if (before && before.url !== url)
        throw new Error(
          `host ${name} is at ${before.url} in ${placementFile}; start it there (or use a new --dir)`,
        );
      if (!before) crm(["cluster", "hosts", "add", name, url, "--cluster", placementFile]);
      cluster.hosts.push(
        await startHost(cluster, { name, url, port, dataDir: join(dir, name) }, options.env),
      );
      save();
    }
    mkdirSync(join(prefix, "temp"), { recursive: true });
    writeNginxConfig(cluster, `127.0.0.1:${frontPort}`);
    cluster.nginx.pid = startNginx(dir, cluster.nginx);
    save();
    await waitFor(`${cluster.front}/healthz`, "nginx");
    return cluster;
  } catch (error) {
    await clusterDown(dir);
    throw error;
  }
}

/** Stops nginx and every host of the cluster in `dir` (their data stays). */
export async function clusterDown(dir: string): Promise<boolean> {
  const cluster = readCluster(dir);
  if (!cluster) return false;
  await Promise.all(
    [cluster.nginx.pid, ...cluster.hosts.map((h) => h.pid)].filter((p) => p > 0).map((p) => stopPid(p)),
  );
  rmSync(stateFile(cluster.dir), { force: true });
  return true;
}
