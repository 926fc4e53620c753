/** Most tenants a process counts load for; past it the one that took least time makes room. */
export const MAX_TENANTS = 1000;

/**
 * Requests and time spent per tenant in this process, since it started: [requests, seconds]
 * by slug. Bounded, so a flood of requests for made-up slugs cannot grow it: when full, the
 * tenant with the least time is forgotten (a scan of at most MAX_TENANTS, only when a new
 * tenant arrives at a full map).
 */
export class TenantLoad {
  private readonly bySlug = new Map<string, number[]>();

  add(slug: string, seconds: number): void {
    let entry = this.bySlug.get(slug);
    if (!entry) {
      if (this.bySlug.size >= MAX_TENANTS) this.evictLightest();
      entry = [0, 0];
      this.bySlug.set(slug, entry);
    }
    entry[0] = (entry[0] as number) + 1;
    entry[1] = (entry[1] as number) + seconds;
  }

  /** A copy, for a sample. */
  snapshot(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const [slug, [requests, seconds]] of this.bySlug)
      out[slug] = [requests as number, seconds as number];
    return out;
  }

  private evictLightest(): void {
    let lightest: string | undefined;
    let least = Number.POSITIVE_INFINITY;
    for (const [slug, entry] of this.bySlug) {
      if ((entry[1] as number) < least) {
        least = entry[1] as number;
        lightest = slug;
      }
    }
    if (lightest !== undefined) this.bySlug.delete(lightest);
  }
}
