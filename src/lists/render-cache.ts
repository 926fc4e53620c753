import type { Shard } from "../tenancy/shard.ts";
import { versionedCache } from "../tenancy/versioned-cache.ts";

/**
 * Stands in for the request's CSP nonce in cached HTML: letters only, so escaping leaves it
 * alone, and long enough never to occur by chance.
 */
export const NONCE_SLOT = "NonceSlotQx7vZ3kP9wLm";

/**
 * A rendered list fragment (or JSON page), cached per open shard under `key` and valid only
 * while the shard is unchanged (versionedCache). Render with NONCE_SLOT wherever the nonce
 * goes; the result comes back split around it, ready for `withNonce`.
 */
export function cachedRender(shard: Shard, name: string, key: string, render: () => string): string[] {
  return versionedCache(shard, `render:${name}`, key, 32, () => render().split(NONCE_SLOT));
}

/** Puts this request's nonce back where the cached fragment had NONCE_SLOT. */
export function withNonce(parts: string[], nonce: string): string {
  return parts.length === 1 ? (parts[0] as string) : parts.join(nonce);
}

/**
 * Renders a list fragment through the cache (when `enabled`), or directly. `render` receives
 * the nonce to write: the real one, or NONCE_SLOT for the cached copy.
 */
export function renderList(
  shard: Shard,
  enabled: boolean,
  name: string,
  key: string,
  nonce: string,
  render: (nonce: string) => string,
): string {
  if (!enabled) return render(nonce);
  return withNonce(
    cachedRender(shard, name, key, () => render(NONCE_SLOT)),
    nonce,
  );
}
