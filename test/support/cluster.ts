import { clusterDown, clusterUp, type LocalCluster } from "../../scripts/cluster/local-cluster.ts";
import { BrowserClient } from "./browser-client.ts";
import { FAST_HASHING } from "./server.ts";
import { tempDir } from "./temp-dir.ts";
import { PASSWORD } from "./workspace.ts";

export interface TestCluster extends LocalCluster {
  /** Stops nginx and the hosts, removes the directory. */
  stop(): Promise<void>;
}

/**
 * A real cluster on loopback (scripts/cluster/local-cluster.ts): `hosts` hosts, the placement
 * file made by `crm cluster hosts add`, nginx with `crm cluster nginx-config`'s file. Fast
 * hashing, and sign-up limits that let one address (every test client is 127.0.0.1) make many.
 */
export async function startCluster(hosts = 3): Promise<TestCluster> {
  const dir = tempDir("crm-cluster-");
  const cluster = await clusterUp({
    dir: dir.path,
    hosts,
    env: {
      ...FAST_HASHING,
      CRM_SIGNUPS_PER_IP: "1000",
      CRM_SIGNUPS_GLOBAL: "1000",
      CRM_LOGIN_FAILURES_PER_IP: "1000",
    },
  });
  return {
    ...cluster,
    async stop() {
      await clusterDown(dir.path);
      dir.remove();
    },
  };
}

/** Signs a new workspace up through `base` with the real form; returns the browser holding its session. */
export async function signUp(
  base: string,
  slug: string,
): Promise<{ client: BrowserClient; response: Awaited<ReturnType<BrowserClient["post"]>> }> {
  const client = new BrowserClient(base);
  await client.get("/signup");
  const response = await client.post("/signup", {
    slug,
    name: `Business ${slug}`,
    ownerName: "Owner",
    ownerEmail: `owner@${slug}.example`,
    ownerPassword: PASSWORD,
  });
  return { client, response };
}
