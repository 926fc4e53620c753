import { IdempotencyKeyInFlightError } from "./idempotency-key.ts";

/**
 * The keys of requests this process is applying right now (by workspace, scope and key): a
 * second request with a key still in flight is answered 409 at once instead of queueing a
 * duplicate of the work. (Across processes the lookup inside the write transaction decides.)
 */
export class InFlightKeys {
  private readonly held = new Set<string>();

  /** Claims the key, or throws the 409; call the returned function when the request is answered. */
  claim(tenantId: string, scope: string, key: string): () => void {
    const id = `${tenantId}\u0000${scope}\u0000${key}`;
    if (this.held.has(id)) throw new IdempotencyKeyInFlightError(key);
    this.held.add(id);
    return () => {
      this.held.delete(id);
    };
  }
}
