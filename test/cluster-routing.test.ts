/**
 * Three hosts behind the real nginx, with the config `crm cluster nginx-config` writes: tenants
 * land on their owners, work through the one front address, survive a neighbour's outage, and a
 * host never serves or creates a tenant placement gives another.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { reloadNginx, stopPid } from "../scripts/cluster/local-cluster.ts";
import { askTenants } from "../src/cluster/host-tenants.ts";
import { type ClusterHost, ownerOf, type Placement, upstreamName } from "../src/cluster/placement.ts";
import { readPlacement } from "../src/cluster/placement-file.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { signUp, startCluster, type TestCluster } from "./support/cluster.ts";
import { api, DataDir, PASSWORD, signIn } from "./support/workspace.ts";

const SLUGS = Array.from({ length: 30 }, (_, i) => `firm-${String(i).padStart(2, "0")}`);

let cluster: TestCluster;
let placement: Placement;
const sessions = new Map<string, BrowserClient>();
const keys = new Map<string, string>();

const owner = (slug: string) => ownerOf(placement, slug) as ClusterHost;
const hostOf = (name: string) => cluster.hosts.find((h) => h.name === name) as TestCluster["hosts"][number];
const notOwner = (slug: string) => cluster.hosts.find((h) => h.name !== owner(slug).name) as ClusterHost;

/** Runs `jobs` at most `width` at a time (two cores: no point in more). */
async function inBatches<T>(
  items: readonly T[],
  width: number,
  job: (item: T) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(job));
}

/** Every slug each host's catalog holds, asked the way the commands ask (signed /_cluster/tenants). */
async function heldBy(): Promise<Map<string, string[]>> {
  const answers = await askTenants(placement, placement.hosts);
  return new Map(answers.map((a) => [a.host.name, "tenants" in a ? a.tenants : []]));
}

beforeAll(async () => {
  cluster = await startCluster(3);
  placement = readPlacement(cluster.placementFile);
  // Signed up through the front while nginx's map knows none of them: every one is sent to any
  // host, and those another host owns come back as 421 and are sent again, body and all.
  await inBatches(SLUGS, 6, async (slug) => {
    const { client, response } = await signUp(cluster.front, slug);
    expect(`${slug} ${response.status} ${response.headers.get("location")}`).toBe(
      `${slug} 303 /t/${slug}/contacts`,
    );
    sessions.set(slug, client);
  });
  // Keys made in each owner's data directory, as the other API tests make them.
  for (const host of cluster.hosts) {
    const data = new DataDir(host.dataDir);
    for (const slug of SLUGS) if (owner(slug).name === host.name) keys.set(slug, await data.apiKey(slug));
    data.close();
  }
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

describe("a three-host cluster behind nginx", () => {
  it("puts each signed-up tenant on its owner only, and spreads them over all three hosts", async () => {
    const held = await heldBy();
    for (const slug of SLUGS) {
      const holders = [...held].filter(([, slugs]) => slugs.includes(slug)).map(([name]) => name);
      expect(`${slug} on ${holders.join(",")}`).toBe(`${slug} on ${owner(slug).name}`);
    }
    for (const host of placement.hosts) expect(held.get(host.name)?.length ?? 0).toBeGreaterThanOrEqual(3);
  });

  it("serves each tenant's contacts page to the session sign-up started, through the front", async () => {
    await inBatches(SLUGS, 10, async (slug) => {
      const page = await (sessions.get(slug) as BrowserClient).get(`/t/${slug}/contacts`);
      expect(`${slug} ${page.status}`).toBe(`${slug} 200`);
    });
  });

  it("maps every tenant to its owner's upstream once the config is written again, and signs in through it", async () => {
    await reloadNginx(cluster);
    const conf = readFileSync(cluster.nginx.conf, "utf8");
    for (const slug of SLUGS) expect(conf).toContain(`    ${slug} ${upstreamName(owner(slug))};`);
    await inBatches(SLUGS, 6, async (slug) => {
      const client = await signIn(cluster.front, slug, `owner@${slug}.example`, PASSWORD);
      const page = await client.get(`/t/${slug}/contacts`);
      expect(`${slug} ${page.status}`).toBe(`${slug} 200`);
    });
  });

  it("answers each tenant's API through the front, writes included", async () => {
    await inBatches(SLUGS, 10, async (slug) => {
      const call = api(cluster.front, keys.get(slug) as string);
      const created = await call("POST", `/t/${slug}/contacts`, { firstName: "Ada", lastName: slug });
      expect(`${slug} ${created.status}`).toBe(`${slug} 201`);
      const list = await call("GET", `/t/${slug}/contacts`);
      expect(list.status).toBe(200);
      expect(JSON.stringify(list.json)).toContain(slug);
      // A key works for its own workspace only, wherever that lives.
      const other = SLUGS[(SLUGS.indexOf(slug) + 1) % SLUGS.length] as string;
      expect((await call("GET", `/t/${other}/contacts`)).status).toBe(401);
    });
  });

  it("routes a tenant signed up after the config was written (not in the map) by the 421 re-send, POSTs included", async () => {
    const slug = "late-comer";
    expect(readFileSync(cluster.nginx.conf, "utf8")).not.toContain(` ${slug} `);
    const { client, response } = await signUp(cluster.front, slug);
    expect(response.status).toBe(303);
    expect((await client.get(`/t/${slug}/contacts`)).status).toBe(200);
    // Three writes in a row: crm_any takes turns over the three hosts, so at least two of them
    // reach a host that answers 421, and nginx must send the form's body on intact.
    for (const n of [1, 2, 3]) {
      const form = await client.post(`/t/${slug}/contacts`, { firstName: "Late", lastName: `Comer${n}` });
      expect(form.status).toBe(303);
    }
    const page = (await client.get(`/t/${slug}/contacts`)).text;
    for (const n of [1, 2, 3]) expect(page).toContain(`Comer${n}`);
    const data = new DataDir(hostOf(owner(slug).name).dataDir);
    const call = api(cluster.front, await data.apiKey(slug));
    data.close();
    for (const n of [1, 2, 3])
      expect(
        (await call("POST", `/t/${slug}/contacts`, { firstName: "Api", lastName: `Late${n}` })).status,
      ).toBe(201);
    expect((await call("GET", `/t/${slug}/contacts?q=Late`)).text).toContain("Late3");
    expect((await heldBy()).get(owner(slug).name)).toContain(slug);
  });

  it("sends a page asked of a host that does not own the tenant to the owner (307), the API gets a 421 problem", async () => {
    const slug = SLUGS[0] as string;
    const stranger = notOwner(slug);
    const page = await fetch(`${stranger.url}/t/${slug}/contacts?sort=name`, { redirect: "manual" });
    expect(page.status).toBe(307);
    expect(page.headers.get("location")).toBe(`${owner(slug).url}/t/${slug}/contacts?sort=name`);
    // Percent-encoded, as a router would decode it: still not served here.
    const encoded = await fetch(`${stranger.url}/t/${slug.replace("f", "%66")}/contacts`, {
      redirect: "manual",
    });
    expect(encoded.status).toBe(307);
    const call = api(stranger.url, keys.get(slug) as string);
    const answer = await call("GET", `/t/${slug}/contacts`);
    expect(answer.status).toBe(421);
    expect(answer.headers.get("content-type")).toBe("application/problem+json");
    expect(answer.headers.get("crm-owner")).toBe(owner(slug).name);
    expect(answer.json).toMatchObject({ type: "/api/v1/problems/misdirected", status: 421 });
    // As the front would ask: the owner's upstream, for nginx to send the request on.
    const front = await fetch(`${stranger.url}/t/${slug}/contacts`, { headers: { "X-CRM-Front": "1" } });
    expect(front.status).toBe(421);
    expect(front.headers.get("crm-owner-upstream")).toBe(upstreamName(owner(slug)));
  });

  it("never creates a tenant on a host that does not own it, whatever the sign-up form says", async () => {
    const slug = "not-here-please";
    const stranger = notOwner(slug);
    const { response } = await signUp(stranger.url, slug);
    expect(response.status).toBe(307);
    expect(response.headers.get("location")).toBe(`${owner(slug).url}/signup`);
    const go = await fetch(`${stranger.url}/go?workspace=${slug}`, { redirect: "manual" });
    expect(go.status).toBe(307);
    for (const slugs of (await heldBy()).values()) expect(slugs).not.toContain(slug);
  });

  it("keeps /_cluster/ from the front, and refuses unsigned or wrongly signed host-to-host requests", async () => {
    expect((await fetch(`${cluster.front}/_cluster/tenants`)).status).toBe(404);
    const host = cluster.hosts[0] as TestCluster["hosts"][number];
    expect((await fetch(`${host.url}/_cluster/tenants`)).status).toBe(403);
    const forged = await fetch(`${host.url}/_cluster/tenants`, {
      headers: { "CRM-Cluster-Time": String(Date.now()), "CRM-Cluster-Signature": "0".repeat(64) },
    });
    expect(forged.status).toBe(403);
  });

  it("stopping one host fails only its tenants, with 503 + Retry-After within 2 s; the others are unaffected", async () => {
    const down = hostOf("b");
    await stopPid(down.pid);
    await inBatches(SLUGS, 10, async (slug) => {
      const started = performance.now();
      const page = await (sessions.get(slug) as BrowserClient).get(`/t/${slug}/contacts`);
      const ms = performance.now() - started;
      if (owner(slug).name === "b") {
        expect(`${slug} ${page.status} ${page.headers.get("retry-after")}`).toBe(`${slug} 503 2`);
        expect(ms).toBeLessThan(2000);
      } else expect(`${slug} ${page.status}`).toBe(`${slug} 200`);
      const apiAnswer = await api(cluster.front, keys.get(slug) as string)("GET", `/t/${slug}/contacts`);
      expect(apiAnswer.status).toBe(owner(slug).name === "b" ? 503 : 200);
    });
    // A sign-up for a slug the stopped host owns is refused the same way, and lands nowhere else.
    const orphan = Array.from({ length: 200 }, (_, i) => `orphan-${i}`).find(
      (s) => owner(s).name === "b",
    ) as string;
    const { response } = await signUp(cluster.front, orphan);
    expect(response.status).toBe(503);
    const others = await askTenants(
      placement,
      placement.hosts.filter((h) => h.name !== "b"),
    );
    for (const a of others) expect("tenants" in a && a.tenants.includes(orphan)).toBe(false);
  });
});

it("runs nginx as an ordinary user", () => {
  const ps = spawnSync("ps", ["-o", "user=", "-p", String(cluster.nginx.pid)], { encoding: "utf8" });
  expect(ps.stdout.trim()).not.toBe("root");
  expect(ps.stdout.trim()).not.toBe("");
});
