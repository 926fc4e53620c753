import { existsSync } from "node:fs";
import type { Placement } from "./placement.ts";
import { PlacementWatch } from "./placement-file.ts";

/**
 * The placement file as this host sees it, or undefined while there is none (a host alone):
 * watched from the moment it appears, so a host joins a cluster without a restart.
 */
export function hostPlacement(clusterFile: string | undefined): () => Placement | undefined {
  let watch: PlacementWatch | undefined;
  return () => {
    if (!watch) {
      if (!clusterFile || !existsSync(clusterFile)) return undefined;
      try {
        watch = new PlacementWatch(clusterFile);
      } catch {
        return undefined;
      }
    }
    return watch.current();
  };
}
