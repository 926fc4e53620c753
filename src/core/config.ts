import { availableParallelism } from "node:os";
import { resolve } from "node:path";

/** Every setting the server reads. Each has a CRM_* environment variable; `crm serve` flags override them. */
export interface Config {
  dataDir: string;
  host: string;
  port: number;
  /** The URL users reach the server at, when behind a proxy: links in invitations are built from it, never from the Host header. */
  publicUrl: string | undefined;
  /** Trust X-Forwarded-For / X-Forwarded-Proto from the proxy in front. */
  trustProxy: boolean;
  maxOpenShards: number;
  shardIdleSeconds: number;
  /** Largest request body accepted by forms and the JSON API. */
  bodyLimitBytes: number;
  /** Largest CSV file an import may upload (streamed to disk, never held in memory); the crm import command has no limit. */
  importMaxBytes: number;
  sessionIdleMinutes: number;
  sessionMaxDays: number;
  hashConcurrency: number;
  hashMaxWaiting: number;
  argon2MemoryKiB: number;
  argon2TimeCost: number;
  /** Failed sign-ins to one account from one address before each next try must wait (doubling waits). */
  loginFailuresPerAccount: number;
  /** Failed sign-ins from one address, whatever the accounts, before it must wait. */
  loginFailuresPerIp: number;
  /**
   * Failed sign-ins to one account from browsers it has never signed in from, all addresses
   * together, before those browsers must wait; a device it signed in from before never does.
   */
  loginFailuresPerAccountAnywhere: number;
  /** How long failures are remembered, and the longest wait. */
  loginWindowMinutes: number;
  /** How long a browser that signed in stays a known device for that account (its device cookie). */
  loginDeviceDays: number;
  /** Sign-ups one client address may make in the window, and all addresses together. */
  signupsPerIp: number;
  signupsGlobal: number;
  signupWindowMinutes: number;
  /** One JSON line per request on stdout. */
  accessLog: boolean;
  /**
   * The bearer token that lets a client off the loopback read /metrics (unset: loopback only).
   * At least 32 characters: it guards what every workspace's load looks like.
   */
  metricsToken: string | undefined;
  /** How often the ops dashboard's history takes a sample (/ops, src/ops/ops-sampler.ts). */
  opsSampleSeconds: number;
  /** Cache rendered list pages per shard version (never stale: any write is a miss). Off only to measure. */
  renderCache: boolean;
  /** Worker threads for heavy work (segments, reports, imports, exports, erasure). */
  workers: number;
  /** Tasks that may wait for a worker; one more is refused with 503 and Retry-After. */
  workerQueue: number;
  /**
   * Heavy tasks one workspace may have running or waiting at once (background tasks included);
   * its next is refused with 503 and Retry-After, so one workspace never takes the whole queue.
   */
  workerPerWorkspace: number;
  /** How much lower the pool threads' CPU priority is than the server's thread (a nice increment, 0–19). */
  workerNice: number;
  /** How long a task started by a request may run before it is stopped ("took too long"). */
  taskTimeoutSeconds: number;
  /**
   * How long the server's thread waits for another connection's write lock before answering
   * 503: the wait blocks every workspace in the process, so it is short (invariant 10).
   */
  busyTimeoutMs: number;
  /**
   * How long, in all, a request refused for a locked workspace is run again (after waits on
   * timers, never on the thread) before its 503 goes out; only if it committed nothing.
   */
  busyRetryMs: number;
  /**
   * The size of a workspace's write-ahead log past which the server asks a worker to copy it
   * back into the file (a checkpoint); its own connections never do (invariant 10).
   */
  checkpointWalBytes: number;
  /**
   * How long a request's body may take to arrive (a form, a JSON body) before 408: it is read
   * whole before the workspace's file is opened, so a slow sender holds no file (invariant 10).
   */
  bodyTimeoutSeconds: number;
  /**
   * Requests per second one client address (an IPv6 /64) may make, and all clients together to
   * one workspace, each allowed a burst of rateLimitBurstSeconds' worth; past that, 429 with
   * Retry-After. 0 turns a limit off. Per process.
   */
  rateLimitPerAddress: number;
  rateLimitPerWorkspace: number;
  rateLimitBurstSeconds: number;
  /** Requests per second one API key may make (with the same burst), within its workspace's allowance. 0: off. */
  rateLimitPerKey: number;
  /**
   * Failed API key checks (401) one client address may make per apiKeyFailureWindowSeconds;
   * past that, every API request from it is answered 429 until the window lets one more
   * through (a token comes back every window/N seconds). 0: off.
   */
  apiKeyFailuresPerAddress: number;
  apiKeyFailureWindowSeconds: number;
  /**
   * Server processes `crm serve` runs on the one port (`--procs`): one per core by default, each
   * with its own caches and worker pool; 1 runs the server in the command's own process.
   */
  procs: number;
  /** At shutdown, how long requests in flight may finish before the remaining connections are closed. */
  shutdownDrainSeconds: number;
  /**
   * When the server starts the nightly analytics run (`crm analytics run --nightly`, a
   * child process), as `HH:MM` (or `HH:MM:SS`) in the host's local time; null: never (`off`).
   */
  analyticsAt: string | null;
  /**
   * Outgoing mail (invitations, password resets): an SMTP URL (`smtps://` implicit TLS,
   * `smtp://` STARTTLS when offered, `?requireTLS=true` to insist on it), undefined: mail is off.
   */
  smtpUrl: string | undefined;
  /** The sender of every mail ("CRM <crm@example.com>"); required with smtpUrl. */
  mailFrom: string | undefined;
  /** Tries per mail, and the wait before the second (doubling after each failure). */
  mailAttempts: number;
  mailRetrySeconds: number;
  /** Password-reset mails asked for one address, and for a whole workspace, per hour (per process). */
  resetsPerAddress: number;
  resetsPerWorkspace: number;
  /** Password-reset requests one client address may make an hour, any workspace, any address. */
  resetsPerIp: number;
  /** Webhook settings (src/webhooks): see WebhookConfig. */
  webhooks: WebhookConfig;
  /**
   * The cluster's placement file (src/cluster/placement.ts). When it exists the host serves only
   * the tenants placement gives it (others get a redirect or 421); when it does not, the host is
   * alone and serves every tenant in its catalog. Unset: <data>/cluster.json.
   */
  clusterFile: string | undefined;
  /** This host's name in the placement file (CRM_HOST_NAME); required once the file exists. */
  hostName: string | undefined;
  /** Scheduled snapshots of every workspace and their retention (CRM_BACKUP_*; README "### Backups"). */
  backups: BackupConfig;
}

/** Where snapshots go, how often the server takes them and how long they are kept. */
export interface BackupConfig {
  /** The backup directory (CRM_BACKUP_DIR); unset: <data>/backups. */
  dir: string | undefined;
  /** Hours between the server's rounds of snapshots (CRM_BACKUP_EVERY_HOURS); null: never (0 or off). */
  everyHours: number | null;
  /** Snapshots older than this many days are deleted after each round (CRM_BACKUP_KEEP_DAYS)… */
  keepDays: number;
  /** …except each workspace's newest this many, whatever their age (CRM_BACKUP_KEEP_MIN). */
  keepMin: number;
}

/** How webhooks are delivered (CRM_WEBHOOKS_*; README "### Webhooks"). */
export interface WebhookConfig {
  /**
   * Targets on loopback, private, link-local, CGNAT or metadata addresses (off by default: a
   * workspace admin could otherwise make the server call into the operator's network).
   */
  allowPrivate: boolean;
  /** Plain http:// targets (off by default: the signature protects integrity, not secrecy). */
  allowHttp: boolean;
  /** The waits before each retry of a failed delivery, in seconds (±20 % jitter); after the last, the subscription is disabled. */
  retrySeconds: number[];
  /** How long a receiver may take to answer before the attempt counts as failed. */
  timeoutMs: number;
  /** How often the delivery task looks for new changes in workspaces with subscriptions. */
  pollMs: number;
  /** Deliveries in flight at once in this process, all workspaces together. */
  concurrency: number;
}

type Env = Record<string, string | undefined>;

/** A setting's value the server cannot run with: the command says which and stops (exit 2), no stack. */
export class ConfigError extends Error {}

function int(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new ConfigError(`${name} must be an integer ${range}, got "${raw}"`);
  }
  return value;
}

/** An operator's secret: unset or empty for none; otherwise 32 to 256 printable characters without spaces. */
function secretToken(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  if (!/^[\x21-\x7e]{32,256}$/.test(raw))
    throw new ConfigError(
      `${name} must be 32 to 256 printable characters without spaces (e.g. openssl rand -hex 32)`,
    );
  return raw;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

/** CRM_ANALYTICS_AT: `HH:MM` or `HH:MM:SS` (24-hour), `off` or empty (or blank) for none; unset is 02:30. */
function clockTime(env: Env, name: string, fallback: string): string | null {
  const raw = env[name];
  if (raw === undefined) return fallback;
  if (/^\s*(off)?\s*$/i.test(raw)) return null;
  if (!/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/.test(raw))
    throw new ConfigError(
      `${name} must be a time of day HH:MM or HH:MM:SS (00:00 to 23:59:59) or off, got "${raw}"`,
    );
  return raw;
}

/**
 * CRM_SMTP_URL and its companions: links in mail are built from CRM_PUBLIC_URL alone (never a
 * request's Host header), so mail cannot be on without it, nor without a sender.
 */
function smtpUrl(env: Env): string | undefined {
  const raw = env.CRM_SMTP_URL;
  if (raw === undefined || raw === "") return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      "CRM_SMTP_URL must be a URL like smtp://user:password@host:587 or smtps://host:465",
    );
  }
  if (url.protocol !== "smtp:" && url.protocol !== "smtps:")
    throw new ConfigError(`CRM_SMTP_URL must start with smtp:// or smtps://, got "${url.protocol}"`);
  if (!env.CRM_PUBLIC_URL)
    throw new ConfigError("CRM_SMTP_URL needs CRM_PUBLIC_URL: links in mail are built from it");
  if (!env.CRM_MAIL_FROM)
    throw new ConfigError('CRM_SMTP_URL needs CRM_MAIL_FROM, the sender, e.g. "CRM <crm@example.com>"');
  return raw;
}

/**
 * CRM_PUBLIC_URL: every mailed link starts with it, so it must be an absolute https URL (http
 * only for localhost and loopback addresses, where nothing crosses a network) with no user,
 * password, query or fragment; anything else would mail dead or leaky links. Trailing slashes go.
 */
function publicUrl(env: Env): string | undefined {
  const raw = env.CRM_PUBLIC_URL?.trim();
  if (raw === undefined || raw === "") return undefined;
  const wanted = `CRM_PUBLIC_URL must be an absolute URL like https://crm.example.com (http:// only for localhost), got "${raw}"`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(wanted);
  }
  const loopback = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i.test(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) throw new ConfigError(wanted);
  if (url.username || url.password || url.search || url.hash || raw.includes("?") || raw.includes("#"))
    // Not echoed: it may hold a password.
    throw new ConfigError("CRM_PUBLIC_URL must have no user, password, query or fragment");
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
}

/** CRM_WEBHOOKS_RETRY_SECONDS: comma-separated waits in seconds (decimals allowed, for tests). */
function secondsList(env: Env, name: string, fallback: number[]): number[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const values = raw.split(",").map((part) => Number(part.trim()));
  if (values.length > 30 || values.some((v) => !Number.isFinite(v) || v < 0 || v > 7 * 86_400))
    throw new ConfigError(
      `${name} must be up to 30 comma-separated waits in seconds (0 to 604800), got "${raw}"`,
    );
  return values;
}

/** CRM_BACKUP_EVERY_HOURS: hours (decimals allowed, for tests) up to a week; 0, off or blank: never; unset: 24. */
function backupHours(env: Env): number | null {
  const raw = env.CRM_BACKUP_EVERY_HOURS;
  if (raw === undefined) return 24;
  if (/^\s*(off|0+(\.0*)?)?\s*$/i.test(raw)) return null;
  const hours = Number(raw);
  if (!Number.isFinite(hours) || hours <= 0 || hours > 168)
    throw new ConfigError(
      `CRM_BACKUP_EVERY_HOURS must be hours from 0 to 168 (0 or off: never), got "${raw}"`,
    );
  return hours;
}

/** Retries of a failed webhook delivery: about a day in all (1 min, 5 min, 30 min, 2 h, 6 h, 12 h, 4 h). */
export const WEBHOOK_RETRY_SECONDS = [60, 300, 1800, 7200, 21_600, 43_200, 14_400];

/** Reads settings from the environment (CRM_*), falling back to the documented defaults. */
export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const config: Config = {
    dataDir: resolve(env.CRM_DATA ?? "data"),
    host: env.CRM_HOST ?? "127.0.0.1",
    port: int(env, "CRM_PORT", 3000),
    publicUrl: publicUrl(env),
    trustProxy: bool(env, "CRM_TRUST_PROXY", false),
    maxOpenShards: int(env, "CRM_MAX_OPEN_SHARDS", 512, 1),
    shardIdleSeconds: int(env, "CRM_SHARD_IDLE_SECONDS", 300, 1),
    bodyLimitBytes: int(env, "CRM_BODY_LIMIT_BYTES", 256 * 1024, 1024),
    importMaxBytes: int(env, "CRM_IMPORT_MAX_BYTES", 128 * 1024 * 1024, 1024),
    sessionIdleMinutes: int(env, "CRM_SESSION_IDLE_MINUTES", 12 * 60, 1),
    sessionMaxDays: int(env, "CRM_SESSION_MAX_DAYS", 14, 1),
    hashConcurrency: int(env, "CRM_HASH_CONCURRENCY", Math.max(1, availableParallelism()), 1),
    hashMaxWaiting: int(env, "CRM_HASH_MAX_WAITING", 32, 0),
    argon2MemoryKiB: int(env, "CRM_ARGON2_MEMORY_KIB", 65536, 1024),
    argon2TimeCost: int(env, "CRM_ARGON2_TIME_COST", 2, 1),
    loginFailuresPerAccount: int(env, "CRM_LOGIN_FAILURES_PER_ACCOUNT", 5, 1),
    loginFailuresPerIp: int(env, "CRM_LOGIN_FAILURES_PER_IP", 30, 1),
    loginFailuresPerAccountAnywhere: int(env, "CRM_LOGIN_FAILURES_PER_ACCOUNT_ANYWHERE", 50, 1),
    loginWindowMinutes: int(env, "CRM_LOGIN_WINDOW_MINUTES", 15, 1),
    loginDeviceDays: int(env, "CRM_LOGIN_DEVICE_DAYS", 365, 1),
    signupsPerIp: int(env, "CRM_SIGNUPS_PER_IP", 5, 1),
    signupsGlobal: int(env, "CRM_SIGNUPS_GLOBAL", 100, 1),
    signupWindowMinutes: int(env, "CRM_SIGNUP_WINDOW_MINUTES", 60, 1),
    accessLog: bool(env, "CRM_ACCESS_LOG", true),
    metricsToken: secretToken(env, "CRM_METRICS_TOKEN"),
    opsSampleSeconds: int(env, "CRM_OPS_SAMPLE_SECONDS", 5, 1, 60),
    renderCache: bool(env, "CRM_RENDER_CACHE", true),
    workers: int(env, "CRM_WORKERS", Math.max(1, availableParallelism() - 1), 1),
    workerQueue: int(env, "CRM_WORKER_QUEUE", 32, 0),
    workerPerWorkspace: int(
      env,
      "CRM_WORKER_PER_WORKSPACE",
      Math.max(2, Math.floor(int(env, "CRM_WORKER_QUEUE", 32, 0) / 4)),
      1,
    ),
    workerNice: int(env, "CRM_WORKER_NICE", 10, 0, 19),
    taskTimeoutSeconds: int(env, "CRM_TASK_TIMEOUT_SECONDS", 30, 1),
    busyTimeoutMs: int(env, "CRM_BUSY_TIMEOUT_MS", 20, 0),
    busyRetryMs: int(env, "CRM_BUSY_RETRY_MS", 1000, 0, 60_000),
    checkpointWalBytes: int(env, "CRM_CHECKPOINT_WAL_BYTES", 1024 * 1024, 64 * 1024),
    bodyTimeoutSeconds: int(env, "CRM_BODY_TIMEOUT_SECONDS", 20, 1),
    rateLimitPerAddress: int(env, "CRM_RATE_LIMIT_PER_ADDRESS", 400, 0),
    rateLimitPerWorkspace: int(env, "CRM_RATE_LIMIT_PER_WORKSPACE", 400, 0),
    rateLimitBurstSeconds: int(env, "CRM_RATE_LIMIT_BURST_SECONDS", 5, 1, 3600),
    rateLimitPerKey: int(env, "CRM_RATE_LIMIT_PER_KEY", 200, 0),
    apiKeyFailuresPerAddress: int(env, "CRM_API_KEY_FAILURES", 20, 0),
    apiKeyFailureWindowSeconds: int(env, "CRM_API_KEY_FAILURE_WINDOW_SECONDS", 60, 1, 86_400),
    procs: int(env, "CRM_PROCS", availableParallelism(), 1, 64),
    shutdownDrainSeconds: int(env, "CRM_SHUTDOWN_DRAIN_SECONDS", 10, 0),
    analyticsAt: clockTime(env, "CRM_ANALYTICS_AT", "02:30"),
    smtpUrl: smtpUrl(env),
    mailFrom: env.CRM_MAIL_FROM || undefined,
    mailAttempts: int(env, "CRM_MAIL_ATTEMPTS", 6, 1, 20),
    mailRetrySeconds: int(env, "CRM_MAIL_RETRY_SECONDS", 30, 1, 3600),
    resetsPerAddress: int(env, "CRM_RESETS_PER_ADDRESS", 3, 1),
    resetsPerWorkspace: int(env, "CRM_RESETS_PER_WORKSPACE", 30, 1),
    resetsPerIp: int(env, "CRM_RESETS_PER_IP", 100, 1),
    webhooks: {
      allowPrivate: bool(env, "CRM_WEBHOOKS_ALLOW_PRIVATE", false),
      allowHttp: bool(env, "CRM_WEBHOOKS_ALLOW_HTTP", false),
      retrySeconds: secondsList(env, "CRM_WEBHOOKS_RETRY_SECONDS", WEBHOOK_RETRY_SECONDS),
      timeoutMs: int(env, "CRM_WEBHOOKS_TIMEOUT_MS", 10_000, 100, 120_000),
      pollMs: int(env, "CRM_WEBHOOKS_POLL_MS", 250, 10, 60_000),
      concurrency: int(env, "CRM_WEBHOOKS_CONCURRENCY", 16, 1, 1000),
    },
    clusterFile: env.CRM_CLUSTER_FILE?.trim() ? resolve(env.CRM_CLUSTER_FILE.trim()) : undefined,
    hostName: env.CRM_HOST_NAME?.trim() || undefined,
    backups: {
      dir: env.CRM_BACKUP_DIR?.trim() ? resolve(env.CRM_BACKUP_DIR.trim()) : undefined,
      everyHours: backupHours(env),
      keepDays: int(env, "CRM_BACKUP_KEEP_DAYS", 14, 1, 36_500),
      keepMin: int(env, "CRM_BACKUP_KEEP_MIN", 3, 1, 1000),
    },
  };
  const merged = {
    ...config,
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  };
  merged.dataDir = resolve(merged.dataDir);
  merged.clusterFile = resolve(merged.clusterFile ?? resolve(merged.dataDir, "cluster.json"));
  merged.backups = {
    ...merged.backups,
    dir: resolve(merged.backups.dir ?? resolve(merged.dataDir, "backups")),
  };
  return merged;
}
