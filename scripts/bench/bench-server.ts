/** What every wrk benchmark needs: a server process, a signed-in session, an API key, RSS. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { serverRssBytes } from "../../src/loadtest/server-metrics.ts";
import { signIn } from "../../src/loadtest/sign-in.ts";
import { BENCH } from "./bench-data.ts";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Whether a stdout line is the one a server prints once it is ready: the CRM's JSON "listening"
 * line (it has the `url`, and `control` when asked for; with --procs, the supervisor's "group
 * listening" once every process listens, not a process's own) or a reference server's bare
 * port. The CRM's other JSON log lines before it (such as "analytics schedule") are skipped.
 */
function isStartLine(line: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return line.trim() !== "";
  }
  if (typeof parsed !== "object" || parsed === null) return true;
  return ("url" in parsed && !("group" in parsed)) || "control" in parsed;
}

/** Starts a Bun script (or `program` with `args`) and waits for its start line (see isStartLine): `startLine`. */
export async function spawnServer(
  args: string[],
  env: Record<string, string> = {},
  program = process.execPath,
) {
  const proc = Bun.spawn([program, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "ignore",
  });
  const reader = proc.stdout.getReader();
  let text = "";
  let startLine: string | undefined;
  while (startLine === undefined) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${args.join(" ")} exited before it was ready`);
    text += new TextDecoder().decode(value);
    const complete = text.split("\n").slice(0, -1);
    startLine = complete.find(isStartLine);
  }
  // Keep draining stdout (the request log) so the server never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done) {}
  })();
  return { proc, startLine };
}

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** The server's resident memory, all its processes together (with --procs the group's sum), from /metrics. */
export async function serverRssMb(base: string): Promise<number> {
  return Math.round(((await serverRssBytes(base)) ?? 0) / 1024 / 1024);
}

/** Signs in like a browser (crm loadtest's sign-in, src/loadtest/sign-in.ts) and returns the session cookie. */
export async function signInSession(base: string, slug: string = BENCH.slug): Promise<string> {
  return (await signIn(base, slug, BENCH.email, BENCH.password)).cookie;
}

/** A member API key for the bench workspace, through the real CLI. */
export async function benchApiKey(dataDir: string): Promise<string> {
  const proc = Bun.spawn(
    [process.execPath, "src/cli.ts", "apikeys", "create", "--tenant", BENCH.slug, "--data", dataDir],
    { cwd: ROOT, stdout: "pipe", stderr: "ignore" },
  );
  return (await new Response(proc.stdout).text()).trim();
}
