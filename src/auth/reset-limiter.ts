import type { Config } from "../core/config.ts";
import { TokenBuckets } from "./token-buckets.ts";

const HOUR_MS = 3_600_000;

/**
 * Limits password-reset requests and mails. Requests are counted per address (in a workspace)
 * and per client address, for every address asked about, known or not, so the 429 they give
 * tells nothing about who has an account: an inbox is not flooded and one client cannot spray.
 *
 * The workspace's allowance counts only mails actually sent (to an account's own address), and
 * reaching it changes no answer: the mail is just not sent, and that is logged. Counting every
 * request there let a stranger spend it on made-up addresses and lock the members out; now
 * spending it takes requests for the members' real addresses, each itself limited.
 */
export class ResetLimiter {
  private readonly perAddress: TokenBuckets;
  private readonly perClient: TokenBuckets;
  private readonly perWorkspace: TokenBuckets;

  constructor(config: Pick<Config, "resetsPerAddress" | "resetsPerIp" | "resetsPerWorkspace">) {
    this.perAddress = new TokenBuckets(config.resetsPerAddress, HOUR_MS);
    this.perClient = new TokenBuckets(config.resetsPerIp, HOUR_MS);
    this.perWorkspace = new TokenBuckets(config.resetsPerWorkspace, HOUR_MS);
  }

  /** Counts one request for `email` from client address `ip`: 0, or the milliseconds to wait (nothing counted). */
  take(tenantId: string, email: string, ip: string, now: number): number {
    const address = `${tenantId}\n${email}`;
    const wait = Math.max(this.perAddress.wait(address, now), this.perClient.wait(ip, now));
    if (wait > 0) return wait;
    this.perAddress.take(address, now);
    this.perClient.take(ip, now);
    return 0;
  }

  /** Whether the workspace may send another reset mail now. */
  mayMail(tenantId: string, now: number): boolean {
    return this.perWorkspace.wait(tenantId, now) === 0;
  }

  /** Counts a reset mail the workspace sends. */
  mailed(tenantId: string, now: number): void {
    this.perWorkspace.take(tenantId, now);
  }
}
