import type { Shard } from "../tenancy/shard.ts";
import { versionedCache } from "../tenancy/versioned-cache.ts";

/** The per-request values a cached fragment leaves holes for. */
export interface RequestSecrets {
  /** The CSP nonce every htmx element carries. */
  nonce: string;
  /** The CSRF token forms carry (htmx requests send it as a header instead). */
  csrfToken: string;
}

/**
 * Stand-ins for a request's secrets in cached HTML: letters and digits only, so escaping
 * leaves them alone, and random per process (128 bits), so no text a user types contains them.
 */
const SLOTS: RequestSecrets = {
  nonce: `nonce${crypto.randomUUID().replaceAll("-", "")}`,
  csrfToken: `csrf${crypto.randomUUID().replaceAll("-", "")}`,
};

const SLOT_PATTERN = new RegExp(`(${SLOTS.nonce}|${SLOTS.csrfToken})`);

/**
 * A rendered fragment, cached per open shard under `key` and valid only while the shard is
 * unchanged (versionedCache: never stale), split around the secret slots so each request
 * can splice in its own nonce and CSRF token.
 */
function cachedParts(
  shard: Shard,
  name: string,
  key: string,
  maxEntries: number,
  render: () => string,
): string[] {
  return versionedCache(shard, `render:${name}`, key, maxEntries, () => render().split(SLOT_PATTERN));
}

function fill(parts: string[], secrets: RequestSecrets): string {
  let out = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    // split() with a capturing group puts each slot at an odd index.
    out += i % 2 ? (part === SLOTS.nonce ? secrets.nonce : secrets.csrfToken) : part;
  }
  return out;
}

/**
 * Renders a list fragment (or a record's page) through the render cache (when `enabled`), or
 * directly, keeping at most `maxEntries` per shard. `render`
 * receives the secrets to write: the request's own, or the slots for the cached copy.
 */
export function renderList(
  shard: Shard,
  enabled: boolean,
  name: string,
  key: string,
  secrets: RequestSecrets,
  render: (secrets: RequestSecrets) => string,
  maxEntries = 32,
): string {
  if (!enabled) return render(secrets);
  return fill(
    cachedParts(shard, name, key, maxEntries, () => render(SLOTS)),
    secrets,
  );
}
