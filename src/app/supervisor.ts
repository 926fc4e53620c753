import { existsSync } from "node:fs";
import type { Subprocess } from "bun";
import { errorFields, type Logger } from "../core/logger.ts";
import type { GroupMessage } from "./group-member.ts";
import { GroupMetrics } from "./group-metrics.ts";
import { GroupOps } from "./group-ops.ts";

/**
 * This process's own program, as the kernel keeps it (Linux): a process started from it runs
 * the same build even after the file at its path was replaced or moved.
 */
const SELF_EXECUTABLE =
  process.platform === "linux" && existsSync("/proc/self/exe") ? "/proc/self/exe" : undefined;

export interface SuperviseOptions {
  procs: number;
  /** What each process runs: the command line of `crm serve` for one process on a fixed port. */
  command: string[];
  /** Each process's environment; the supervisor adds its place in the group. */
  env: Record<string, string | undefined>;
  logger: Logger;
  /** How long a process may take to finish its requests when stopped, before it is killed. */
  drainSeconds: number;
  /** How often the group's ops dashboard history takes a sample of every process (CRM_OPS_SAMPLE_SECONDS). */
  opsSampleSeconds?: number;
}

export interface Supervisor {
  /** Resolves once every process listens (or with the processes that do after `timeoutMs`). */
  ready(timeoutMs?: number): Promise<void>;
  /**
   * Resolves with its exit code if a process exits at its first start before it ever listened
   * (a full disk, a bad setting): a group that cannot start is not restarted forever.
   */
  failed: Promise<number>;
  /** Stops every process gracefully (each drains its requests), then resolves. */
  stop(): Promise<void>;
  /** The processes' ids, by place in the group (for tests and logs). */
  pids(): number[];
}

/** A process's place in the group, and what the supervisor knows of it. */
interface Slot {
  index: number;
  proc?: Subprocess<"ignore", "pipe", "inherit">;
  startedAt: number;
  starts: number;
  listening: boolean;
  /** The wait before the next start after a crash: doubled while it keeps crashing young. */
  restartDelayMs: number;
}

/** A process that ran this long before it died is started again at once, not after a back-off. */
const HEALTHY_AFTER_MS = 10_000;
const MAX_RESTART_DELAY_MS = 30_000;
const COLLECT_TIMEOUT_MS = 2000;

/**
 * Passes a process's log lines on through the supervisor's own logger, whole lines at a time:
 * processes writing straight to one pipe would interleave inside lines (a write past 4 KB is
 * not atomic on a pipe, and the logger writes up to 64 KB at once).
 */
async function forwardLines(stream: ReadableStream<Uint8Array>, logger: Logger): Promise<void> {
  const decoder = new TextDecoder();
  let partial = "";
  for await (const chunk of stream) {
    const text = partial + decoder.decode(chunk, { stream: true });
    const end = text.lastIndexOf("\n");
    if (end < 0) {
      partial = text;
      continue;
    }
    logger.forward(text.slice(0, end + 1));
    partial = text.slice(end + 1);
  }
  if (partial) logger.forward(`${partial}\n`);
}

/**
 * `crm serve --procs N`: N server processes on one port (each listens with SO_REUSEPORT, and
 * the kernel spreads connections over them), each with its own shard cache and worker pool.
 * The supervisor only watches: it starts a process again when one dies (at once, or after a
 * back-off that doubles while it keeps dying young), stops them all gracefully on a signal,
 * and, since a scraper reaches whichever process the kernel picks, answers a process's
 * request for the group's metrics by collecting every process's and adding them up.
 * The first process alone takes back imports a crash stopped (before the others serve) and
 * schedules the nightly analytics run.
 */
export function supervise(options: SuperviseOptions): Supervisor {
  const { logger } = options;
  const slots: Slot[] = Array.from({ length: options.procs }, (_, index) => ({
    index,
    startedAt: 0,
    starts: 0,
    listening: false,
    restartDelayMs: 250,
  }));
  let stopping = false;
  let nextCollect = 0;
  const collecting = new Map<number, { answered: Set<number>; expected: number; done: () => void }>();
  const groupMetrics = new GroupMetrics();
  // The /ops history is the group's, so it lives here; a process serving /ops asks for it.
  const groupOps = new GroupOps(options.opsSampleSeconds ?? 5, () =>
    slots.filter((s) => s.proc && s.listening).map((s) => (message: GroupMessage) => s.proc?.send(message)),
  );
  groupOps.start();
  const readyWaiters: (() => void)[] = [];
  let fail: (code: number) => void = () => {};
  const failed = new Promise<number>((resolve) => {
    fail = resolve;
  });

  const checkReady = () => {
    if (slots.every((s) => s.listening)) for (const resolve of readyWaiters.splice(0)) resolve();
  };

  /** Every live process's metrics, added up (group-metrics.ts), for the process that was asked for them. */
  const answerMetrics = async (asker: Slot, id: number) => {
    const live = slots.filter((s) => s.proc && s.listening);
    const collect = ++nextCollect;
    const answered = new Set<number>();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, COLLECT_TIMEOUT_MS);
      collecting.set(collect, {
        answered,
        expected: live.length,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      for (const slot of live) slot.proc?.send({ kind: "collect", id: collect } satisfies GroupMessage);
    });
    collecting.delete(collect);
    try {
      const text = await groupMetrics.text(
        live.map((s) => s.proc?.pid ?? 0),
        answered,
      );
      asker.proc?.send({ kind: "metrics", id, text } satisfies GroupMessage);
    } catch (error) {
      // The asker answers with its own figures when none come back.
      logger.warn("group metrics not added up", errorFields(error));
    }
  };

  const receive = (slot: Slot, message: GroupMessage) => {
    if (message.kind === "ready") {
      slot.listening = true;
      checkReady();
    } else if (message.kind === "ops-sampled") {
      groupOps.sampled(message.id, message.sample);
    } else if (message.kind === "ops?") {
      slot.proc?.send({ kind: "ops", id: message.id, data: groupOps.data() } satisfies GroupMessage);
    } else if (message.kind === "metrics?") {
      void answerMetrics(slot, message.id);
    } else if (message.kind === "collected") {
      const waiting = collecting.get(message.id);
      const pid = slot.proc?.pid;
      if (!waiting || pid === undefined) return;
      groupMetrics.record(pid, message.metrics);
      waiting.answered.add(pid);
      if (waiting.answered.size >= waiting.expected) waiting.done();
    }
  };

  /** Starts `slot` again after its back-off: 250 ms, doubling up to 30 s while it keeps dying young. */
  const restartLater = (slot: Slot, fields: Record<string, unknown>) => {
    const ranMs = Date.now() - slot.startedAt;
    slot.restartDelayMs =
      ranMs >= HEALTHY_AFTER_MS ? 250 : Math.min(MAX_RESTART_DELAY_MS, slot.restartDelayMs * 2);
    logger.warn("server process exited; starting another", {
      group: slot.index,
      ...fields,
      ranMs,
      restartInMs: slot.restartDelayMs,
    });
    logger.flush();
    setTimeout(() => {
      if (!stopping) start(slot);
    }, slot.restartDelayMs);
  };

  const start = (slot: Slot) => {
    const first = slot.starts === 0;
    slot.starts++;
    slot.startedAt = Date.now();
    slot.listening = false;
    let proc: Subprocess<"ignore", "pipe", "inherit">;
    try {
      // The very program this supervisor runs, even if its file has since been replaced or moved
      // (an upgrade by rename): a group never mixes versions, and never loses a process because
      // the path is gone. Upgrading is a restart of the group. (argv[0] still names the path.)
      const [program, ...args] = options.command;
      const self = program === process.execPath && SELF_EXECUTABLE;
      proc = Bun.spawn(self ? [SELF_EXECUTABLE, ...args] : options.command, {
        argv0: self ? program : undefined,
        env: {
          ...options.env,
          CRM_GROUP_INDEX: String(slot.index),
          // Imports are taken back only before anyone serves: by the first process, at its first start.
          CRM_GROUP_RECOVER_IMPORTS: slot.index === 0 && first ? "true" : "false",
        },
        stdin: "ignore",
        stdout: "pipe",
        stderr: "inherit",
        ipc: (message: GroupMessage) => receive(slot, message),
        serialization: "json",
      });
    } catch (error) {
      // The program could not even be started (its file gone, no more processes): said in the
      // log, and tried again like a process that died, or the group's start fails.
      logger.error("server process could not start", { group: slot.index, ...errorFields(error) });
      if (first && slot.index === 0) fail(1);
      else if (!stopping) restartLater(slot, { startError: (error as Error).message });
      return;
    }
    slot.proc = proc;
    void forwardLines(proc.stdout, logger);
    logger.info("server process started", { group: slot.index, pid: proc.pid });
    void proc.exited.then((code) => {
      void groupMetrics.retire(proc.pid);
      if (slot.proc !== proc) return;
      const neverListened = !slot.listening && slot.starts === 1;
      slot.proc = undefined;
      slot.listening = false;
      if (stopping) return;
      if (neverListened) {
        logger.error("server process could not start", { group: slot.index, pid: proc.pid, code });
        fail(code || 1);
        return;
      }
      restartLater(slot, { pid: proc.pid, code, signal: proc.signalCode });
    });
  };

  // The first process starts alone, so that it takes back interrupted imports and migrates
  // the catalog before the others open it; the rest follow once it listens.
  const first = slots[0] as Slot;
  start(first);
  const firstListening = new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (first.listening || stopping) {
        clearInterval(poll);
        resolve();
      }
    }, 20);
  });
  void firstListening.then(() => {
    if (!stopping) for (const slot of slots.slice(1)) start(slot);
  });

  return {
    failed,
    ready(timeoutMs = 120_000) {
      return new Promise<void>((resolve) => {
        // Not a reason to keep the process alive (a group that failed to start exits at once).
        const timer = setTimeout(resolve, timeoutMs);
        timer.unref();
        readyWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
        checkReady();
      });
    },
    async stop() {
      stopping = true;
      groupOps.stop();
      const live = slots.map((s) => s.proc).filter((p): p is NonNullable<typeof p> => p !== undefined);
      for (const proc of live) proc.kill("SIGTERM");
      const killer = setTimeout(
        () => {
          for (const proc of live) proc.kill("SIGKILL");
        },
        (options.drainSeconds + 10) * 1000,
      );
      await Promise.all(live.map((p) => p.exited));
      clearTimeout(killer);
      logger.info("all server processes stopped");
      logger.flush();
    },
    pids: () => slots.map((s) => s.proc?.pid ?? 0),
  };
}
