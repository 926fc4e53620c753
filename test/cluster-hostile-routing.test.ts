/**
 * A hostile client against the routing of three hosts behind the real nginx: spellings of a
 * sign-up form or a URL that might make a host other than the owner create or open a tenant.
 */
import { afterAll, beforeAll, expect, it } from "bun:test";
import { askTenants } from "../src/cluster/host-tenants.ts";
import { type ClusterHost, ownerOf, type Placement } from "../src/cluster/placement.ts";
import { readPlacement } from "../src/cluster/placement-file.ts";
import { BrowserClient } from "./support/browser-client.ts";
import { signUp, startCluster, type TestCluster } from "./support/cluster.ts";
import { PASSWORD } from "./support/workspace.ts";

let cluster: TestCluster;
let placement: Placement;

const owner = (slug: string) => ownerOf(placement, slug) as ClusterHost;
const notOwner = (slug: string) => cluster.hosts.find((h) => h.name !== owner(slug).name) as ClusterHost;

async function heldBy(): Promise<Map<string, string[]>> {
  const answers = await askTenants(placement, placement.hosts);
  return new Map(answers.map((a) => [a.host.name, "tenants" in a ? a.tenants : []]));
}

async function holders(slug: string): Promise<string[]> {
  return [...(await heldBy())].filter(([, slugs]) => slugs.includes(slug)).map(([host]) => host);
}

function fields(slug: string): [string, string][] {
  return [
    ["name", `Business ${slug}`],
    ["ownerName", "Owner"],
    ["ownerEmail", `owner@${slug}.example`],
    ["ownerPassword", PASSWORD],
  ];
}

beforeAll(async () => {
  cluster = await startCluster(3);
  placement = readPlacement(cluster.placementFile);
});

afterAll(async () => {
  await cluster?.stop();
});

it("a sign-up form whose content type is spelled in capitals creates nothing on a host that does not own the slug", async () => {
  const slug = "caps-form";
  const client = new BrowserClient(notOwner(slug).url);
  await client.get("/signup");
  const response = await client.postRaw(
    "/signup",
    [["_csrf", client.csrfToken], ["slug", slug], ...fields(slug)],
    {
      "content-type": "Application/X-WWW-Form-Urlencoded",
    },
  );
  expect(response.status).not.toBe(303);
  expect(await holders(slug)).toEqual([]);
});

it("a sign-up form with the slug twice (the last one empty) is still sent to the slug's owner", async () => {
  const slug = "twice-form";
  const client = new BrowserClient(notOwner(slug).url);
  await client.get("/signup");
  const response = await client.postRaw("/signup", [
    ["_csrf", client.csrfToken],
    ["slug", slug],
    ["slug", ""],
    ...fields(slug),
  ]);
  expect(response.status).toBe(307);
  expect(await holders(slug)).toEqual([]);
});

it("a workspace named like an Object.prototype key (constructor) has an owner and works through the front", async () => {
  expect(owner("constructor")).toBeDefined();
  const { client, response } = await signUp(cluster.front, "constructor");
  expect(response.status).toBe(303);
  expect((await client.get("/t/constructor/contacts")).status).toBe(200);
  expect(await holders("constructor")).toEqual([owner("constructor").name]);
});

it("sign-ups racing for one slug through the front and every host make one workspace, on its owner", async () => {
  const slug = "race-one";
  const bases = [cluster.front, cluster.front, cluster.front, ...cluster.hosts.map((h) => h.url)];
  const statuses = await Promise.all(
    bases.map(async (base, i) => {
      const client = new BrowserClient(base);
      await client.get("/signup");
      const response = await client.postRaw("/signup", [
        ["_csrf", client.csrfToken],
        ["slug", slug],
        ...fields(`${slug}${i}`).filter(([name]) => name !== "slug"),
      ]);
      return response.status;
    }),
  );
  expect(statuses.filter((s) => s === 303)).toHaveLength(1);
  expect(await holders(slug)).toEqual([owner(slug).name]);
});

it("the front refuses every spelling of the host-to-host routes itself", async () => {
  for (const path of [
    "/_cluster",
    "/_cluster/",
    "/_cluster/tenants",
    "//_cluster/tenants",
    "/%5Fcluster/tenants",
    "/x/../_cluster/tenants",
    "/_cluster?x=1",
  ]) {
    const response = await fetch(`${cluster.front}${path}`);
    await response.arrayBuffer();
    // nginx's own 404: no host saw the request (a host would answer with its security headers).
    expect(`${path} ${response.status} ${response.headers.get("x-content-type-options")}`).toBe(
      `${path} 404 null`,
    );
  }
});

it("a host that hangs (SIGSTOP) holds no client of a tenant-less page: another host answers within 2 s", async () => {
  const hung = cluster.hosts[0] as TestCluster["hosts"][number];
  const asset = /\/assets\/app\.css\?v=[0-9a-f]+/.exec(await (await fetch(`${cluster.front}/`)).text())?.[0];
  expect(asset).toBeDefined();
  process.kill(hung.pid, "SIGSTOP");
  try {
    for (const path of [asset as string, "/", "/healthz", "/go?workspace=", asset as string, "/"]) {
      const started = Date.now();
      const response = await fetch(`${cluster.front}${path}`, { signal: AbortSignal.timeout(5000) });
      await response.arrayBuffer();
      expect(`${path} ${response.status} ${Date.now() - started < 2000}`).toBe(
        `${path} ${path.startsWith("/go") ? 404 : 200} true`,
      );
    }
  } finally {
    process.kill(hung.pid, "SIGCONT");
  }
});
