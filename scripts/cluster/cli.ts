/**
 * scripts/cluster-up and scripts/cluster-down (npm run cluster:up / cluster:down): a cluster of
 * hosts on loopback behind nginx, or its end. See README.md, "Several hosts".
 *
 *   bun scripts/cluster/cli.ts up [--dir DIR] [--hosts N] [--ports P1,P2,…] [--front PORT]
 *   bun scripts/cluster/cli.ts down [--dir DIR]
 */
import { parseArgs } from "node:util";
import { clusterDown, clusterUp } from "./local-cluster.ts";

const USAGE = `Usage: scripts/cluster-up [--dir DIR] [--hosts N] [--ports P1,P2,...] [--front PORT]
       scripts/cluster-down [--dir DIR]

  --dir DIR      the cluster's directory: hosts' data, placement file, nginx prefix, logs, pids
                 (default: data/cluster)
  --hosts N      how many hosts, named a, b, c… (default: 3; started again over a
                 directory: the hosts its placement file lists)
  --ports LIST   the hosts' ports, comma-separated (default: free ones)
  --front PORT   nginx's port (default: a free one)`;

async function main(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: rest,
      options: {
        dir: { type: "string" },
        hosts: { type: "string" },
        ports: { type: "string" },
        front: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help || (action !== "up" && action !== "down")) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const dir = (values.dir as string | undefined) ?? "data/cluster";
  if (action === "down") {
    const stopped = await clusterDown(dir);
    console.log(stopped ? `stopped the cluster in ${dir} (its data stays)` : `no cluster running in ${dir}`);
    return 0;
  }
  const number = (raw: string, what: string) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${what} must be a number, got "${raw}"`);
    return n;
  };
  try {
    const cluster = await clusterUp({
      dir,
      hosts: values.hosts === undefined ? undefined : number(values.hosts as string, "--hosts"),
      ports: (values.ports as string | undefined)?.split(",").map((p) => number(p, "--ports")),
      frontPort: values.front === undefined ? undefined : number(values.front as string, "--front"),
    });
    for (const host of cluster.hosts)
      console.log(`host ${host.name}: ${host.url} (pid ${host.pid}, data ${host.dataDir})`);
    console.log(`nginx: pid ${cluster.nginx.pid}, config ${cluster.nginx.conf}`);
    console.log(`placement: ${cluster.placementFile}`);
    // crm cluster … reads <data>/cluster.json by default, and this file is under no host's data.
    console.log(`for crm cluster commands: export CRM_CLUSTER_FILE=${cluster.placementFile}`);
    console.log(
      `\n  front: ${cluster.front}\n\nstop it with scripts/cluster-down${dir === "data/cluster" ? "" : ` --dir ${dir}`}`,
    );
    return 0;
  } catch (error) {
    console.error(`cluster-up: ${(error as Error).message}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
