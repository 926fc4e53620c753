import type { OpsData } from "./ops-history.ts";

/**
 * Where the process serving /ops gets the dashboard's figures: its own history when it runs
 * alone (ops-sampler.ts), its group's from the supervisor in `crm serve --procs N`
 * (src/app/group-member.ts).
 */
export interface OpsSource {
  data(): Promise<OpsData>;
}
