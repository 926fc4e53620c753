import type { Config } from "../core/config.ts";
import { TokenBuckets } from "./token-buckets.ts";

const HOUR_MS = 3_600_000;

/**
 * Limits password-reset mails per address (in a workspace) and per workspace: each request
 * may send a mail, and an inbox must not be flooded nor a server used to spray mail. Counted
 * for every address asked about, known or not, so the limit tells nothing about who has an account.
 */
export class ResetLimiter {
  private readonly perAddress: TokenBuckets;
  private readonly perWorkspace: TokenBuckets;

  constructor(config: Pick<Config, "resetsPerAddress" | "resetsPerWorkspace">) {
    this.perAddress = new TokenBuckets(config.resetsPerAddress, HOUR_MS);
    this.perWorkspace = new TokenBuckets(config.resetsPerWorkspace, HOUR_MS);
  }

  /** Counts one request and returns 0, or the milliseconds to wait (nothing counted). */
  take(tenantId: string, email: string, now: number): number {
    const address = `${tenantId}\n${email}`;
    const wait = Math.max(this.perAddress.wait(address, now), this.perWorkspace.wait(tenantId, now));
    if (wait > 0) return wait;
    this.perAddress.take(address, now);
    this.perWorkspace.take(tenantId, now);
    return 0;
  }
}
