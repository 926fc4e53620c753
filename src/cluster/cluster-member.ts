import { createHmac } from "node:crypto";
import { existsSync } from "node:fs";
import { type Config, ConfigError } from "../core/config.ts";
import { type ClusterHost, hostNamed, ownerOf, type Placement, PlacementError } from "./placement.ts";
import { PlacementWatch } from "./placement-file.ts";

/**
 * This host as a member of a cluster: its name and the placement file it follows. Made once
 * per process when the file exists (joinCluster); absent in single-host mode, where nothing on
 * the request path looks at placement at all.
 */
export class ClusterMember {
  constructor(
    readonly hostName: string,
    readonly watch: PlacementWatch,
  ) {}

  placement(): Placement {
    return this.watch.current();
  }

  /** The host that owns `slug` now (a stat of the file per call), or undefined when there are no hosts. */
  ownerOf(slug: string): ClusterHost | undefined {
    return ownerOf(this.placement(), slug);
  }

  /** Whether placement gives `slug` to this host now. */
  owns(slug: string): boolean {
    return this.ownerOf(slug)?.name === this.hostName;
  }

  /**
   * A secret every host of the cluster derives alike (HMAC-SHA256 of `name` under the
   * placement's secret): what a host-local secret becomes in a cluster, so that a token one
   * host made (a sign-up form's CSRF token, a device cookie) is good on the others.
   */
  sharedSecret(name: string): string {
    return createHmac("sha256", this.placement().secret)
      .update(`crm-derived\u0000${name}`)
      .digest("base64url");
  }
}

/**
 * The cluster this host belongs to, if `config.clusterFile` exists: the file must be a valid
 * placement and CRM_HOST_NAME must name one of its hosts, else the server refuses to start
 * (ConfigError) rather than serve tenants that live elsewhere.
 */
export function joinCluster(config: Pick<Config, "clusterFile" | "hostName">): ClusterMember | undefined {
  const file = config.clusterFile;
  if (!file || !existsSync(file)) return undefined;
  let watch: PlacementWatch;
  try {
    watch = new PlacementWatch(file);
  } catch (error) {
    if (error instanceof PlacementError || error instanceof SyntaxError)
      throw new ConfigError(`${file}: ${error.message}`);
    throw new ConfigError(`cannot read the placement file ${file}: ${(error as Error).message}`);
  }
  const names = watch
    .current()
    .hosts.map((h) => h.name)
    .join(", ");
  if (!config.hostName)
    throw new ConfigError(
      `${file} makes this host part of a cluster: set CRM_HOST_NAME to this host's name (one of: ${names || "no hosts yet"})`,
    );
  if (!hostNamed(watch.current(), config.hostName))
    throw new ConfigError(
      `CRM_HOST_NAME=${config.hostName} is not among the hosts of ${file} (${names || "no hosts yet"}): add it with crm cluster hosts add`,
    );
  return new ClusterMember(config.hostName, watch);
}
