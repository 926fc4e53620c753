import { describe, expect, it } from "bun:test";
import { BUCKET_COUNT } from "./latency-buckets.ts";
import { OpsHistory } from "./ops-history.ts";
import type { ProcessSample } from "./ops-sample.ts";
import { MAX_TENANTS, TenantLoad } from "./tenant-load.ts";

function sample(pid: number, requests: number, extra: Partial<ProcessSample> = {}): ProcessSample {
  const buckets = new Array<number>(BUCKET_COUNT).fill(0);
  buckets[2] = requests;
  return {
    pid,
    startedAt: 1000 + pid,
    requests,
    errors: 0,
    buckets,
    routes: { "GET /x": [...buckets] },
    tenants: { acme: [requests, requests / 100] },
    cpuSeconds: requests / 1000,
    rssBytes: 100,
    openShards: 1,
    poolQueued: 0,
    recentErrors: [],
    ...extra,
  };
}

describe("the ops history", () => {
  it("adds up what each process did since its own previous sample, gauges summed", () => {
    const history = new OpsHistory(0, 5);
    history.tick([sample(1, 10), sample(2, 5)], 5000);
    history.tick([sample(1, 30), sample(2, 6)], 10_000);
    const data = history.data(10_000);
    expect(data.intervals.map((i) => i.requests)).toEqual([15, 21]);
    expect(data.intervals[1]?.rssBytes).toBe(200);
    expect(data.processes).toBe(2);
    expect(data.topTenants).toEqual([{ slug: "acme", requests: 36, seconds: 0.36 }]);
    expect(data.slowestRoutes[0]).toMatchObject({ route: "GET /x", requests: 36 });
  });

  it("never goes backwards when a process dies or is replaced by one with the same pid", () => {
    const history = new OpsHistory(0, 5);
    history.tick([sample(1, 100), sample(2, 100)], 5000);
    // Process 2 died; process 1 was restarted (same pid, new start): it counts from zero.
    history.tick([sample(1, 3, { startedAt: 9999 })], 10_000);
    expect(history.data(10_000).intervals.map((i) => i.requests)).toEqual([200, 3]);
  });

  it("keeps an hour of intervals and the 5xx of processes that exited, newest first", () => {
    const history = new OpsHistory(0, 5);
    const error = (at: number) => ({
      at,
      method: "GET",
      route: "/x",
      status: 503,
      tenant: "a",
      requestId: `r${at}`,
    });
    history.tick(
      [sample(1, 1, { recentErrors: [error(1)] }), sample(2, 1, { recentErrors: [error(2)] })],
      5000,
    );
    for (let t = 10_000; t <= 3_700_000; t += 5000)
      history.tick([sample(1, 1, { recentErrors: [error(1)] })], t);
    const data = history.data(3_700_000);
    expect(data.intervals.length).toBe(720);
    expect(data.recentErrors.map((e) => e.requestId)).toEqual(["r2", "r1"]);
  });
});

describe("tenant load", () => {
  it("stays bounded, forgetting the tenant that took least time", () => {
    const load = new TenantLoad();
    for (let i = 0; i < MAX_TENANTS; i++) load.add(`t${i}`, i === 7 ? 0.0001 : 1);
    load.add("newcomer", 1);
    const kept = load.snapshot();
    expect(Object.keys(kept).length).toBe(MAX_TENANTS);
    expect(kept.t7).toBeUndefined();
    expect(kept.newcomer).toEqual([1, 1]);
  });
});
