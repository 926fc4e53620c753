import type { OpsData } from "../ops/ops-history.ts";
import type { OpsRecorder } from "../ops/ops-recorder.ts";
import type { ProcessSample } from "../ops/ops-sample.ts";
import type { OpsSource } from "../ops/ops-source.ts";
import type { ServerMetrics } from "./server-metrics.ts";

/** What a process of a group and its supervisor say to each other (supervisor.ts). */
export type GroupMessage =
  | { kind: "ready"; index: number; pid: number; url: string }
  | { kind: "metrics?"; id: number }
  | { kind: "metrics"; id: number; text: string }
  | { kind: "collect"; id: number }
  | { kind: "collected"; id: number; metrics: unknown }
  | { kind: "ops-sample"; id: number }
  | { kind: "ops-sampled"; id: number; sample: ProcessSample }
  | { kind: "ops?"; id: number }
  | { kind: "ops"; id: number; data: OpsData };

/** How long /metrics waits for the group's figures before answering with this process's alone. */
const GROUP_METRICS_TIMEOUT_MS = 3000;

/**
 * One process of a `crm serve --procs N` group, talking to its supervisor over the IPC channel
 * Bun.spawn opened: it says when it listens, hands its metrics over when the supervisor
 * collects them, and, since any process of the group may be the one a scraper reaches, asks for
 * the whole group's figures when /metrics is requested of it.
 */
export class GroupMember implements OpsSource {
  private nextId = 0;
  private readonly waiting = new Map<number, (text: string) => void>();
  private readonly waitingOps = new Map<number, (data: OpsData) => void>();

  constructor(
    readonly index: number,
    private readonly metrics: ServerMetrics,
    private readonly ops?: OpsRecorder,
    /** This process's own history (its sampler), shown when the supervisor does not answer. */
    private readonly own?: OpsSource,
  ) {
    process.on("message", (message: GroupMessage) => void this.receive(message));
  }

  /** This process's place in a group, from the environment its supervisor set; none when alone. */
  static indexFromEnvironment(env: Record<string, string | undefined>): number | undefined {
    const raw = env.CRM_GROUP_INDEX;
    return raw !== undefined && /^\d+$/.test(raw) && typeof process.send === "function"
      ? Number(raw)
      : undefined;
  }

  ready(url: string): void {
    process.send?.({ kind: "ready", index: this.index, pid: process.pid, url } satisfies GroupMessage);
  }

  /** The group's metrics in Prometheus' text format, or this process's own if the supervisor does not answer. */
  async groupMetrics(): Promise<string> {
    const id = ++this.nextId;
    const answer = new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(undefined);
      }, GROUP_METRICS_TIMEOUT_MS);
      this.waiting.set(id, (text) => {
        clearTimeout(timer);
        resolve(text);
      });
    });
    process.send?.({ kind: "metrics?", id } satisfies GroupMessage);
    return (await answer) ?? (await this.metrics.registry.metrics());
  }

  /**
   * The ops dashboard's figures: the group's history, kept by the supervisor (src/app/group-ops.ts),
   * or, if it does not answer in time, this process's counts alone, marked partial.
   */
  async data(): Promise<OpsData> {
    const id = ++this.nextId;
    const answer = new Promise<OpsData | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.waitingOps.delete(id);
        resolve(undefined);
      }, GROUP_METRICS_TIMEOUT_MS);
      this.waitingOps.set(id, (data) => {
        clearTimeout(timer);
        resolve(data);
      });
    });
    process.send?.({ kind: "ops?", id } satisfies GroupMessage);
    return (await answer) ?? (await this.aloneData());
  }

  /** This process's own figures, marked partial: the group's are out of reach. */
  private async aloneData(): Promise<OpsData> {
    const own = this.own ? await this.own.data() : undefined;
    if (own) return { ...own, partial: true };
    const sample = this.ops?.sample();
    return {
      now: Date.now(),
      startedAt: sample?.startedAt ?? Date.now(),
      sampleSeconds: 0,
      processes: 1,
      intervals: [],
      slowestRoutes: [],
      topTenants: [],
      recentErrors: [...(sample?.recentErrors ?? [])].reverse(),
      tickMicros: 0,
      partial: true,
    };
  }

  private async receive(message: GroupMessage): Promise<void> {
    if (message?.kind === "ops-sample") {
      if (this.ops)
        process.send?.({
          kind: "ops-sampled",
          id: message.id,
          sample: this.ops.sample(),
        } satisfies GroupMessage);
    } else if (message?.kind === "ops") {
      const resolve = this.waitingOps.get(message.id);
      this.waitingOps.delete(message.id);
      resolve?.(message.data);
    } else if (message?.kind === "collect") {
      const metrics = await this.metrics.registry.getMetricsAsJSON();
      process.send?.({ kind: "collected", id: message.id, metrics } satisfies GroupMessage);
    } else if (message?.kind === "metrics") {
      const resolve = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      resolve?.(message.text);
    }
  }
}
