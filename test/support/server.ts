import { fileURLToPath } from "node:url";
import type { Subprocess } from "bun";

const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Hashing settings for tests that sign in many times: argon2id stays argon2id, just with
 * less memory, so a suite of hundreds of sign-ins does not take minutes. Tests of hashing
 * itself start servers with the defaults.
 */
export const FAST_HASHING = { CRM_ARGON2_MEMORY_KIB: "4096", CRM_ARGON2_TIME_COST: "1" };

/**
 * A test server starts no nightly analytics run (else a suite running at 02:30 would get one in
 * every data directory); tests of the schedule set CRM_ANALYTICS_AT themselves.
 */
const NO_NIGHTLY_RUN = { CRM_ANALYTICS_AT: "off" };

export interface TestServer {
  url: string;
  pid: number;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Every line the server wrote to stdout so far (JSON log lines). */
  lines: string[];
  /** What the server wrote to stderr so far (the banner for people). */
  stderr(): string;
  /** Waits for a log line matching `predicate`. */
  waitForLine(
    predicate: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Waits until stderr contains `text` (the banner is written after the listening line). */
  waitForStderr(text: string, timeoutMs?: number): Promise<void>;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number>;
  /** SIGKILL: no cleanup at all, like a power cut for the process. */
  kill(): Promise<void>;
}

export interface StartOptions {
  dataDir: string;
  env?: Record<string, string>;
  args?: string[];
  /**
   * A command the server runs under, e.g. `["strace", "-f", "-o", file, "--"]`: the server is
   * then that command's child, and `pid`, `proc`, `stop()` and `kill()` are the wrapper's.
   */
  wrap?: string[];
  /** The program in place of bun with src/cli.ts, e.g. the built binary. */
  command?: string[];
  /** The server's working directory (the repository unless a test says). */
  cwd?: string;
}

/** Starts the real server (`crm serve`) as a child process on a free port over `dataDir`. */
export async function startServer(options: StartOptions): Promise<TestServer> {
  const proc = Bun.spawn(
    [
      ...(options.wrap ?? []),
      ...(options.command ?? [process.execPath, CLI]),
      "serve",
      "--port",
      "0",
      "--data",
      options.dataDir,
      ...(options.args ?? []),
    ],
    {
      cwd: options.cwd ?? ROOT,
      // One process unless a test asks for a group: tests look into the server's in-memory state.
      env: { ...process.env, ...FAST_HASHING, ...NO_NIGHTLY_RUN, CRM_PROCS: "1", ...options.env },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const lines: string[] = [];
  const waiters: {
    predicate: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }[] = [];
  let stderr = "";
  const stderrWaiters: { text: string; resolve: () => void }[] = [];
  (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of proc.stdout) {
      buffer += decoder.decode(chunk, { stream: true });
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        lines.push(line);
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          for (const waiter of [...waiters]) {
            if (waiter.predicate(parsed)) {
              waiters.splice(waiters.indexOf(waiter), 1);
              waiter.resolve(parsed);
            }
          }
        } catch {}
        newline = buffer.indexOf("\n");
      }
    }
  })();
  (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) {
      stderr += decoder.decode(chunk, { stream: true });
      for (const waiter of [...stderrWaiters]) {
        if (stderr.includes(waiter.text)) {
          stderrWaiters.splice(stderrWaiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    }
  })();

  const waitForLine = (predicate: (l: Record<string, unknown>) => boolean, timeoutMs = 60_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      for (const line of lines) {
        try {
          const parsed = JSON.parse(line);
          if (predicate(parsed)) return resolve(parsed);
        } catch {}
      }
      const timer = setTimeout(
        () => reject(new Error(`no matching log line in ${timeoutMs} ms; stderr:\n${stderr}`)),
        timeoutMs,
      );
      waiters.push({
        predicate,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });

  const exited = proc.exited;
  const listening = await Promise.race([
    waitForLine((l) => l.msg === "listening"),
    exited.then((code) => {
      throw new Error(`server exited with ${code} before listening:\n${stderr}`);
    }),
  ]);
  return {
    url: String(listening.url),
    pid: proc.pid,
    proc,
    lines,
    stderr: () => stderr,
    waitForLine,
    waitForStderr(text, timeoutMs = 60_000) {
      if (stderr.includes(text)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`stderr never contained ${JSON.stringify(text)} in ${timeoutMs} ms:\n${stderr}`),
            ),
          timeoutMs,
        );
        stderrWaiters.push({
          text,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    async stop() {
      proc.kill("SIGTERM");
      return await exited;
    },
    async kill() {
      proc.kill("SIGKILL");
      await exited;
    },
  };
}

/** Whether a process (a server, one of a group's) is still running. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
