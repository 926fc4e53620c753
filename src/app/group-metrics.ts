import { AggregatorRegistry } from "prom-client";

/** One process's metrics as prom-client hands them over (getMetricsAsJSON). */
type Snapshot = { name: string; type: string }[];

/** Counters and histograms only ever grow: what of a process's figures may stand in for it. */
function monotonic(snapshot: Snapshot): Snapshot {
  return snapshot.filter((m) => m.type === "counter" || m.type === "histogram");
}

/**
 * The group's figures for /metrics: every process's added up (host-wide gauges taken once, as
 * each gauge's aggregator says). A group's counters must never go backwards, or a scraper reads
 * a reset and its rates spike: a process that does not answer in time (hung, or busy past the
 * wait) is counted with the counters and histograms it last reported, and a process that died
 * leaves the ones it last reported behind for good (what it counted after that scrape is lost).
 * Its gauges (its memory, its open files) go with it. A gauge says how many processes answered.
 */
export class GroupMetrics {
  private readonly lastSeen = new Map<number, Snapshot>();
  private retired: Snapshot = [];

  /** A process's answer to this scrape. */
  record(pid: number, snapshot: unknown): void {
    this.lastSeen.set(pid, snapshot as Snapshot);
  }

  /** A process has exited: what it last reported stays in the group's counters. */
  async retire(pid: number): Promise<void> {
    const last = this.lastSeen.get(pid);
    this.lastSeen.delete(pid);
    if (!last) return;
    const parts = [this.retired, monotonic(last)].filter((p) => p.length > 0);
    this.retired = (await AggregatorRegistry.aggregate(
      parts as never,
    ).getMetricsAsJSON()) as unknown as Snapshot;
  }

  /** Prometheus' text for the processes `live`, of which `answered` answered this scrape. */
  async text(live: number[], answered: Set<number>): Promise<string> {
    const parts: Snapshot[] = [];
    for (const pid of live) {
      const last = this.lastSeen.get(pid);
      if (last) parts.push(answered.has(pid) ? last : monotonic(last));
    }
    if (this.retired.length > 0) parts.push(this.retired);
    const text = await AggregatorRegistry.aggregate(parts as never).metrics();
    const silent = live.filter((pid) => !answered.has(pid)).length;
    return `${text}# HELP crm_group_processes Server processes of the group, by whether they answered this scrape in time.
# TYPE crm_group_processes gauge
crm_group_processes{state="answered"} ${answered.size}
crm_group_processes{state="silent"} ${silent}
`;
  }
}
