import type { Subprocess } from "bun";
import { crmCommand } from "../core/app-files.ts";
import { errorFields, type Logger } from "../core/logger.ts";
import { utcToZoned, zonedToUtc } from "../core/time-zone.ts";

/**
 * The server's nightly analytics: at CRM_ANALYTICS_AT (host local time) it starts
 * `crm analytics run --nightly --date <yesterday, host local time>` as a child process (DuckDB never loads in the server:
 * invariant 6), never a second while one it started still runs; the run's own ledger row in
 * the catalog is the lock between hosts' processes and a run started by hand. Its outcome is
 * logged. Stopped at shutdown: no new run, and the child is asked to stop (SIGTERM, then
 * SIGKILL after the drain time); a run cut short is marked failed by the next one.
 */

/** The timer wakes at least this often, so a clock change or a suspended host delays a run by a minute at most. */
const MAX_SLEEP_MS = 60_000;
/** What the log keeps of the child's output (its last lines: the outcome or the error). */
const TAIL_BYTES = 2_000;

/** The host's own time zone (the TZ environment variable, else the system's). */
export function hostTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** The day after `day` (YYYY-MM-DD), by the calendar. */
function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/**
 * The day a nightly run computes: the one that has just ended on the host's clock (yesterday in
 * `zone`), so "Computed for D" covers the whole of D, not the few hours of a day that has just begun.
 */
export function nightlyRunDate(now: number, zone: string): string {
  const today = utcToZoned(now, zone).day;
  return new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

/**
 * The first instant after `now` whose wall clock in `zone` reads `at` (`HH:MM` or `HH:MM:SS`).
 * On a day a clock change skips that time, the run is at the instant after the jump (02:30
 * skipped reads as 03:30); on a day it happens twice, at the first. So exactly once a day.
 */
export function nextRunAt(now: number, at: string, zone: string): number {
  const [h = "00", m = "00", s = "0"] = at.split(":");
  const time = `${h}:${m}`;
  const seconds = Number(s) * 1000;
  let day = utcToZoned(now, zone).day;
  for (let i = 0; i < 3; i++) {
    const when = zonedToUtc(day, time, zone) + seconds;
    if (when > now) return when;
    day = nextDay(day);
  }
  return zonedToUtc(day, time, zone) + seconds;
}

/**
 * `nice -n 10` where the host has it: the run (DuckDB on every core) then yields the CPU to the
 * server's requests, its threads included (they inherit the priority). Measured over the demo
 * workspace, a list page's p99 during a run: 13 ms at nice 10, 18-30 ms without (6-15 ms idle).
 */
function lowerPriority(): string[] {
  const nice = Bun.which("nice");
  return nice ? [nice, "-n", "10"] : [];
}

export interface NightlySchedulerOptions {
  /** `HH:MM` or `HH:MM:SS`, host local time. */
  at: string;
  dataDir: string;
  logger: Logger;
  /** How long a run in progress at shutdown gets after SIGTERM before SIGKILL. */
  stopGraceMs: number;
  zone?: string;
  now?: () => number;
  /** The crm command line (crmCommand() unless a test runs another program). */
  command?: string[];
  /**
   * How long a nightly run may take before it is stopped as hung (SIGTERM, then SIGKILL after
   * the grace time): 20 hours unless a test says otherwise, so a run that never ends cannot
   * keep every later night from starting; its ledger row is then taken over by the next run.
   */
  maxRunMs?: number;
}

const MAX_RUN_MS = 20 * 3600_000;

export class NightlyScheduler {
  private timer: Timer | undefined;
  private child: Subprocess<"ignore", "pipe", "pipe"> | undefined;
  private finished: Promise<void> | undefined;
  private stopped = false;
  private next = 0;
  private readonly zone: string;
  private readonly now: () => number;

  constructor(private readonly options: NightlySchedulerOptions) {
    this.zone = options.zone ?? hostTimeZone();
    this.now = options.now ?? Date.now;
  }

  /** When the next run starts (ms since the epoch). */
  get nextRun(): number {
    return this.next;
  }

  /** Whether a run this scheduler started is still going. */
  get running(): boolean {
    return this.child !== undefined;
  }

  start(): void {
    this.next = nextRunAt(this.now(), this.options.at, this.zone);
    this.options.logger.info("analytics schedule", {
      at: this.options.at,
      zone: this.zone,
      nextRun: new Date(this.next).toISOString(),
    });
    this.arm();
  }

  private arm(): void {
    if (this.stopped) return;
    const wait = Math.max(0, Math.min(MAX_SLEEP_MS, this.next - this.now()));
    this.timer = setTimeout(() => this.tick(), wait);
    // The schedule alone never keeps a process alive (the server's listener does).
    this.timer.unref();
  }

  private tick(): void {
    if (this.stopped) return;
    const now = this.now();
    if (now >= this.next) {
      if (this.child)
        this.options.logger.warn("analytics run skipped: the last one still runs", { pid: this.child.pid });
      else this.launch();
      this.next = nextRunAt(Math.max(now, this.next), this.options.at, this.zone);
    }
    this.arm();
  }

  private launch(): void {
    const { logger, dataDir } = this.options;
    const startedAt = this.now();
    const argv = [
      ...lowerPriority(),
      ...(this.options.command ?? crmCommand()),
      "analytics",
      "run",
      "--nightly",
      "--date",
      nightlyRunDate(startedAt, this.zone),
      "--data",
      dataDir,
    ];
    let child: Subprocess<"ignore", "pipe", "pipe">;
    try {
      child = Bun.spawn(argv, { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: process.env });
    } catch (error) {
      logger.error("analytics run not started", errorFields(error));
      return;
    }
    this.child = child;
    logger.info("analytics run started", { pid: child.pid, trigger: "nightly" });
    const maxRunMs = this.options.maxRunMs ?? MAX_RUN_MS;
    const deadline = setTimeout(() => {
      logger.error("analytics run stopped: it ran longer than the limit", { pid: child.pid, maxRunMs });
      void this.stopChild(child);
    }, maxRunMs);
    deadline.unref();
    logger.flush();
    const tail = (stream: ReadableStream<Uint8Array>) =>
      new Response(stream).text().then((text) => text.slice(-TAIL_BYTES).trim());
    this.finished = Promise.all([child.exited, tail(child.stdout), tail(child.stderr)])
      .then(([code, out, err]) => {
        const fields = {
          pid: child.pid,
          exitCode: code,
          signal: child.signalCode ?? undefined,
          ms: this.now() - startedAt,
        };
        if (code === 0) logger.info("analytics run finished", { ...fields, output: out });
        // Another process's run holds the host's lock (a run by hand, or another server process's schedule).
        else if (code === 2 && err.includes("already in progress"))
          logger.warn("analytics run skipped: another run is in progress", { ...fields, stderr: err });
        else logger.error("analytics run failed", { ...fields, output: out, stderr: err });
      })
      .catch((error) => logger.error("analytics run lost", errorFields(error)))
      .finally(() => {
        clearTimeout(deadline);
        this.child = undefined;
        logger.flush();
      });
  }

  /** No more runs; a run in progress is asked to stop (SIGTERM), and killed after the grace time. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const child = this.child;
    if (!child || !this.finished) return;
    this.options.logger.warn("stopping the analytics run in progress", { pid: child.pid });
    await this.stopChild(child);
  }

  /** Asks the run to stop (SIGTERM), kills it after the grace time, and waits until it has ended. */
  private async stopChild(child: Subprocess<"ignore", "pipe", "pipe">): Promise<void> {
    const finished = this.finished;
    if (this.child !== child || !finished) return;
    child.kill("SIGTERM");
    let timer: Timer | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), this.options.stopGraceMs);
    });
    if ((await Promise.race([finished.then(() => "done" as const), late])) === "late") child.kill("SIGKILL");
    clearTimeout(timer);
    await finished;
  }
}
