/**
 * Benchmark: aggregate throughput of a signed-in contacts page through the cluster's front
 * (nginx, the config `crm cluster nginx-config` writes) with 1, 2 and 3 hosts on this machine,
 * and, in the same run, the same pages straight from one host without nginx (the reference;
 * measured again in every phase, between the front's rounds, as host a alone with its own
 * workspaces (12, 6 or 4 of them), since other load on the box moves figures between phases).
 * Twelve workspaces of --contacts people each, chosen so that two hosts hold six each and three
 * hold four each (an even spread: the figure is the cluster's, not its busiest host's); wrk
 * cycles through their pages, each with its own session. Medians over --rounds rounds.
 *
 * Everything (wrk, nginx's workers, every host) shares this machine's cores, so more hosts add
 * processes, not CPUs: the efficiency printed is per host against the one-host reference, and
 * on a 2-core box it cannot approach 1 past two processes.
 *
 * Usage: bun scripts/bench/cluster-throughput.ts [--rounds N] [--seconds N] [--connections N]
 *          [--contacts N]   (npm run bench:cluster; needs wrk and nginx from Debian)
 */
import "./bench-env.ts";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { askTenants } from "../../src/cluster/host-tenants.ts";
import { rendezvousOwner } from "../../src/cluster/placement.ts";
import { readPlacement } from "../../src/cluster/placement-file.ts";
import { clusterDown, clusterUp, crm, type LocalCluster, reloadNginx } from "../cluster/local-cluster.ts";
import { median, parseWrk } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "8" },
    connections: { type: "string", default: "48" },
    contacts: { type: "string", default: "200" },
  },
});
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const CONTACTS = Number(values.contacts);
const PASSWORD = "correct horse battery";
const root = mkdtempSync(join(tmpdir(), "crm-bench-cluster-"));
// nginx runs as nobody when this runs as root: it must be able to pass through.
chmodSync(root, 0o711);

/**
 * Twelve slugs that hashing spreads evenly over hosts a, b (6 + 6) and a, b, c (4 + 4 + 4).
 * A slug a wins among three it also wins among two, so the quotas are per pair of owners: four
 * a/a, four b/b, and of c's four, two that go to a among two and two to b.
 */
function evenSlugs(): string[] {
  const two = [
    { name: "a", url: "" },
    { name: "b", url: "" },
  ];
  const three = [...two, { name: "c", url: "" }];
  const quota = new Map([
    ["a/a", 4],
    ["b/b", 4],
    ["c/a", 2],
    ["c/b", 2],
  ]);
  const chosen: string[] = [];
  for (let i = 0; chosen.length < 12 && i < 100_000; i++) {
    const slug = `bench-${i}`;
    const pair = `${rendezvousOwner(slug, three)?.name}/${rendezvousOwner(slug, two)?.name}`;
    const left = quota.get(pair) ?? 0;
    if (left === 0) continue;
    quota.set(pair, left - 1);
    chosen.push(slug);
  }
  return chosen;
}

/** Signs a workspace up through the front's form; returns its session cookie. */
async function signUp(front: string, slug: string): Promise<string> {
  const form = await fetch(`${front}/signup`);
  const pre = (form.headers.getSetCookie()[0] ?? "").split(";")[0] as string;
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? "";
  const done = await fetch(`${front}/signup`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: pre, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      _csrf: token,
      slug,
      name: slug,
      ownerName: "Owner",
      ownerEmail: `owner@${slug}.example`,
      ownerPassword: PASSWORD,
    }),
  });
  const session = done.headers.getSetCookie().find((c) => c.startsWith("crm_session="));
  if (done.status !== 303 || !session) throw new Error(`sign-up of ${slug}: ${done.status}`);
  return session.split(";")[0] as string;
}

/** wrk over each workspace's contacts page in turn, each request with its workspace's session. */
async function load(base: string, sessions: Map<string, string>): Promise<number> {
  const script = join(root, `targets-${Date.now()}.lua`);
  const targets = [...sessions].map(([slug, cookie]) => `{ "/t/${slug}/contacts", "${cookie}" }`);
  writeFileSync(
    script,
    `local targets = {\n${targets.join(",\n")}\n}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  local t = targets[(i % #targets) + 1]\n  return wrk.format("GET", t[1], { ["Cookie"] = t[2] })\nend\n`,
  );
  const proc = Bun.spawn(
    ["wrk", "-t2", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--latency", "-s", script, base],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const [output, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  if (code !== 0) throw new Error(`wrk failed: ${output}`);
  const result = parseWrk(output);
  if (result.non2xx || result.errors)
    throw new Error(`wrk saw ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return result.requestsPerSecond;
}

async function withCluster(
  hosts: number,
  slugs: string[],
): Promise<{ front: number[]; direct: number[]; spread: string }> {
  let cluster: LocalCluster | undefined;
  try {
    cluster = await clusterUp({
      dir: join(root, `hosts-${hosts}`),
      hosts,
      env: {
        CRM_SIGNUPS_PER_IP: "1000",
        CRM_SIGNUPS_GLOBAL: "1000",
        CRM_ARGON2_MEMORY_KIB: "4096",
        CRM_ARGON2_TIME_COST: "1",
      },
    });
    const sessions = new Map<string, string>();
    for (const slug of slugs) sessions.set(slug, await signUp(cluster.front, slug));
    // Where each workspace landed, as the hosts report it; each is seeded in its host's directory.
    const placement = readPlacement(cluster.placementFile);
    const held = new Map<string, string[]>();
    for (const answer of await askTenants(placement, placement.hosts)) {
      if (!("tenants" in answer)) throw new Error(`host ${answer.host.name}: ${answer.error}`);
      held.set(answer.host.name, answer.tenants);
      const dataDir = cluster.hosts.find((h) => h.name === answer.host.name)?.dataDir as string;
      for (const slug of answer.tenants)
        crm(["seed", "--tenant", slug, "--contacts", String(CONTACTS), "--data", dataDir]);
    }
    await reloadNginx(cluster);
    const front: number[] = [];
    const direct: number[] = [];
    const first = cluster.hosts[0] as LocalCluster["hosts"][number];
    for (let round = 0; round < ROUNDS; round++) {
      front.push(await load(cluster.front, sessions));
      // The reference, between the front's rounds (this box's load from elsewhere moves): host a
      // alone, no nginx, its own workspaces' pages (with one host, all of them).
      direct.push(
        await load(first.url, new Map([...sessions].filter(([slug]) => held.get("a")?.includes(slug)))),
      );
    }
    return { front, direct, spread: [...held].map(([name, s]) => `${name}:${s.length}`).join(" ") };
  } finally {
    if (cluster) await clusterDown(cluster.dir);
  }
}

try {
  const slugs = evenSlugs();
  const results = new Map<number, Awaited<ReturnType<typeof withCluster>>>();
  for (const hosts of [1, 2, 3]) {
    results.set(hosts, await withCluster(hosts, slugs));
    console.error(`${hosts} host(s) measured`);
  }
  const reference = median(results.get(1)?.direct ?? []);
  console.log(
    `\ncontacts page (${CONTACTS} contacts, 12 workspaces, signed in), wrk -c${CONNECTIONS}, ${SECONDS} s x ${ROUNDS} rounds, medians; ${availableParallelism()} cores shared by wrk, nginx and every host`,
  );
  console.log(`  one host, straight (reference, 1-host phase): ${reference.toFixed(0)} req/s`);
  for (const [hosts, r] of results) {
    const rps = median(r.front);
    const near = median(r.direct);
    console.log(
      `  ${hosts} host(s) through nginx: ${rps.toFixed(0)} req/s = ${(rps / reference).toFixed(2)}x the reference (per host ${(rps / reference / hosts).toFixed(2)}); host a straight in the same phase ${near.toFixed(0)} req/s (${(rps / near).toFixed(2)}x); spread ${r.spread}`,
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
