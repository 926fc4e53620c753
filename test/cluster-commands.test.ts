/**
 * `crm cluster …` against two running hosts: adding a host never re-homes a tenant that exists,
 * a host that does not answer stops a change, a host with tenants cannot be removed, overrides
 * come and go, and a host with a placement file will not start without its name.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../scripts/cluster/local-cluster.ts";
import { ownerOf, rendezvousOwner } from "../src/cluster/placement.ts";
import { readPlacement } from "../src/cluster/placement-file.ts";
import { signUp, startCluster, type TestCluster } from "./support/cluster.ts";
import { runCommand } from "./support/run-command.ts";
import { startServer } from "./support/server.ts";

const CLI = new URL("../src/cli.ts", import.meta.url).pathname;
const SLUGS = Array.from({ length: 12 }, (_, i) => `shop-${i}`);

let cluster: TestCluster;
let copies = 0;

const crm = (...args: string[]) => runCommand([process.execPath, CLI, ...args]);

/** A copy of the cluster's placement file (same secret, so the hosts answer it), to change freely. */
function placementCopy(): string {
  const file = join(cluster.dir, `copy-${copies++}.json`);
  copyFileSync(cluster.placementFile, file);
  return file;
}

beforeAll(async () => {
  cluster = await startCluster(2);
  for (const slug of SLUGS) expect((await signUp(cluster.front, slug)).response.status).toBe(303);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

describe("crm cluster hosts add", () => {
  it("pins each existing tenant the new host would take to the host that holds it", async () => {
    const file = placementCopy();
    const before = readPlacement(file);
    const run = await crm(
      "cluster",
      "hosts",
      "add",
      "c",
      `http://127.0.0.1:${freePort()}`,
      "--cluster",
      file,
    );
    expect(run.code).toBe(0);
    const after = readPlacement(file);
    expect(after.version).toBe(before.version + 1);
    expect(after.hosts.map((h) => h.name)).toEqual(["a", "b", "c"]);
    const wouldMove = SLUGS.filter((slug) => rendezvousOwner(slug, after.hosts)?.name === "c");
    expect(wouldMove.length).toBeGreaterThan(0);
    for (const slug of SLUGS) expect(ownerOf(after, slug)?.name).toBe(ownerOf(before, slug)?.name);
    expect(Object.keys(after.overrides).sort()).toEqual(wouldMove.sort());
    expect(run.stdout).toContain(`pinned ${wouldMove.length} tenant(s)`);
    // The new host is not running yet: the next steps start it, then rewrite and reload nginx.
    expect(run.stdout).toContain(
      `next: start c's server (crm serve with CRM_HOST_NAME=c, CRM_CLUSTER_FILE=${file} and CRM_TRUST_PROXY=1`,
    );
  });

  it("changes nothing (exit 1) when a host does not answer, and refuses a bad or repeated name (exit 2)", async () => {
    const file = placementCopy();
    expect(
      (await crm("cluster", "hosts", "add", "gone", `http://127.0.0.1:${freePort()}`, "--cluster", file))
        .code,
    ).toBe(0);
    const written = readFileSync(file, "utf8");
    const refused = await crm("cluster", "hosts", "add", "d", "http://127.0.0.1:9", "--cluster", file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("gone (http://127.0.0.1:");
    expect(refused.stderr).toContain("nothing changed");
    expect(readFileSync(file, "utf8")).toBe(written);
    for (const [name, url] of [
      ["Bad_Name", "http://127.0.0.1:1"],
      ["a", "http://127.0.0.1:1"],
      ["e", "ftp://nowhere/x"],
      ["f", (readPlacement(file).hosts[0] as { url: string }).url],
    ] as const) {
      const run = await crm("cluster", "hosts", "add", name, url, "--cluster", file);
      expect(`${name} ${run.code}`).toBe(`${name} 2`);
    }
    expect(readFileSync(file, "utf8")).toBe(written);
  });
});

describe("crm cluster hosts remove", () => {
  it("refuses a host that holds tenants, naming them; removes a lost one only with --force", async () => {
    const file = placementCopy();
    const held = SLUGS.filter((slug) => ownerOf(readPlacement(file), slug)?.name === "b");
    const refused = await crm("cluster", "hosts", "remove", "b", "--cluster", file);
    expect(refused.code).toBe(1);
    for (const slug of held) expect(refused.stderr).toContain(slug);
    expect(readPlacement(file).hosts.length).toBe(2);

    expect(
      (await crm("cluster", "hosts", "add", "lost", `http://127.0.0.1:${freePort()}`, "--cluster", file))
        .code,
    ).toBe(0);
    expect((await crm("cluster", "hosts", "remove", "lost", "--cluster", file)).code).toBe(1);
    const forced = await crm("cluster", "hosts", "remove", "lost", "--force", "--cluster", file);
    expect(forced.code).toBe(0);
    expect(readPlacement(file).hosts.map((h) => h.name)).toEqual(["a", "b"]);
    expect((await crm("cluster", "hosts", "remove", "nope", "--cluster", file)).code).toBe(2);
  });
});

describe("crm cluster place and show", () => {
  it("sets and drops an override only where the host holds the tenant, refusing what makes no sense", async () => {
    const file = placementCopy();
    const slug = SLUGS[0] as string;
    const holder = ownerOf(readPlacement(file), slug)?.name as string;
    const other = holder === "a" ? "b" : "a";
    // Pinned to a host that does not hold it, its users would find it empty: refused, unless --force.
    const refused = await crm("cluster", "place", slug, other, "--cluster", file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`host ${other} does not hold ${slug}`);
    expect(readPlacement(file).overrides).toEqual({});
    expect((await crm("cluster", "place", slug, holder, "--cluster", file)).code).toBe(0);
    expect(readPlacement(file).overrides[slug]).toBe(holder);
    expect((await crm("cluster", "place", slug, other, "--force", "--cluster", file)).code).toBe(0);
    expect(readPlacement(file).overrides[slug]).toBe(other);
    const shown = JSON.parse((await crm("cluster", "show", "--json", "--cluster", file)).stdout);
    expect(shown.overrides).toEqual({ [slug]: other });
    expect(shown.hosts.map((h: { healthy: boolean; tenants: number }) => [h.healthy, h.tenants])).toEqual(
      cluster.hosts.map((h) => [
        true,
        SLUGS.filter((s) => ownerOf(readPlacement(cluster.placementFile), s)?.name === h.name).length,
      ]),
    );
    expect((await crm("cluster", "place", slug, "--auto", "--cluster", file)).code).toBe(0);
    expect(readPlacement(file).overrides).toEqual({});
    for (const args of [[slug], [slug, "a", "--auto"], ["Not A Slug", "a"], [slug, "nohost"]]) {
      const run = await crm("cluster", "place", ...args, "--cluster", file);
      expect(`${args.join(" ")}: ${run.code}`).toBe(`${args.join(" ")}: 2`);
    }
    expect((await crm("cluster", "show", "--cluster", join(cluster.dir, "missing.json"))).code).toBe(2);
  });
});

describe("crm cluster nginx-config", () => {
  it("maps the tenants the hosts hold, keeps /_cluster/ closed and refuses a bad --listen", async () => {
    const run = await crm(
      "cluster",
      "nginx-config",
      "--cluster",
      cluster.placementFile,
      "--listen",
      "127.0.0.1:1",
    );
    expect(run.code).toBe(0);
    for (const text of [
      "upstream crm_a {",
      "upstream crm_b {",
      "upstream crm_any {",
      "location ^~ /_cluster {",
    ])
      expect(run.stdout).toContain(text);
    const placement = readPlacement(cluster.placementFile);
    for (const slug of SLUGS)
      expect(run.stdout).toContain(`    ${slug} crm_${ownerOf(placement, slug)?.name};`);
    expect(run.stdout).toMatch(/^ {4}proxy_next_upstream error timeout;$/m);
    expect(run.stdout).not.toContain("non_idempotent");
    expect(
      (await crm("cluster", "nginx-config", "--cluster", cluster.placementFile, "--listen", "x;y")).code,
    ).toBe(2);
  });

  it("--out writes the same config to a file whole, over an old one, and leaves nothing beside it", async () => {
    const folder = join(cluster.dir, "front-out");
    const out = join(folder, "nginx.conf");
    mkdirSync(folder);
    writeFileSync(out, "an old config");
    const args = ["cluster", "nginx-config", "--cluster", cluster.placementFile, "--listen", "127.0.0.1:1"];
    const written = await crm(...args, "--out", out);
    expect(written.code).toBe(0);
    expect(written.stdout).toBe("");
    expect(readFileSync(out, "utf8")).toBe((await crm(...args)).stdout);
    expect(readdirSync(folder)).toEqual(["nginx.conf"]);
  });

  it("has the front refuse a body past the limit before any host reads it", async () => {
    const answer = await fetch(`${cluster.front}/t/${SLUGS[0]}/contacts`, {
      method: "POST",
      body: "x".repeat(300 * 1024),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(answer.status).toBe(413);
  });
});

describe("a host with a placement file", () => {
  it("refuses to start without CRM_HOST_NAME, or with a name the file does not list", async () => {
    const file = placementCopy();
    for (const [env, says] of [
      [{ CRM_CLUSTER_FILE: file }, "set CRM_HOST_NAME"],
      [{ CRM_CLUSTER_FILE: file, CRM_HOST_NAME: "zed" }, "CRM_HOST_NAME=zed is not among the hosts"],
    ] as const) {
      const run = await runCommand(
        [process.execPath, CLI, "serve", "--port", "0", "--data", join(cluster.dir, "refused")],
        { env: { ...process.env, CRM_HOST_NAME: undefined, ...env } },
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(says);
    }
  });

  it("makes a workspace with crm tenants create only on the host placement gives it", async () => {
    const placement = readPlacement(cluster.placementFile);
    const slug = Array.from({ length: 50 }, (_, i) => `cli-${i}`).find(
      (s) => ownerOf(placement, s)?.name === "b",
    );
    const a = cluster.hosts[0] as TestCluster["hosts"][number];
    const env = { ...process.env, CRM_CLUSTER_FILE: cluster.placementFile, CRM_HOST_NAME: "a" };
    const args = [
      "tenants",
      "create",
      slug as string,
      "--owner-email",
      "o@x.example",
      "--owner-password",
      "correct horse battery",
    ];
    const refused = await runCommand([process.execPath, CLI, ...args, "--data", a.dataDir], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${slug} belongs to host b`);
    const listed = await runCommand([process.execPath, CLI, "tenants", "list", "--data", a.dataDir], { env });
    expect(listed.stdout).not.toContain(slug as string);
  });

  it("is alone without one: no /_cluster routes, every workspace of its catalog served", async () => {
    const alone = await startServer({ dataDir: join(cluster.dir, "alone") });
    try {
      expect((await fetch(`${alone.url}/_cluster/tenants`)).status).toBe(404);
      const { response, client } = await signUp(alone.url, "solo-shop");
      expect(response.status).toBe(303);
      expect((await client.get("/t/solo-shop/contacts")).status).toBe(200);
    } finally {
      await alone.stop();
    }
  });
});
