import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { WebhookConfig } from "../core/config.ts";
import { forbiddenAddressReason } from "./forbidden-address.ts";

export type TargetPolicy = Pick<WebhookConfig, "allowPrivate" | "allowHttp">;

/** The longest webhook URL accepted. */
export const WEBHOOK_URL_MAX = 2000;

/** How long a name may take to resolve before the target is refused (a slow resolver holds no slot long). */
const LOOKUP_TIMEOUT_MS = 5000;

/** The name's addresses, or a refusal when the resolver does not answer in time. */
function lookupAll(host: string): Promise<{ address: string; family: number }[]> {
  let timer: Timer | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error("timeout"), { code: "ETIMEOUT" })),
      LOOKUP_TIMEOUT_MS,
    );
  });
  return Promise.race([lookup(host, { all: true, verbatim: true }), late]).finally(() => clearTimeout(timer));
}

/** A target refused: what the form and the API name under `url`, and what the delivery log records. */
export class TargetRefusedError extends Error {}

/**
 * Checks a URL's form: absolute https (http only when the operator allows it), no user or
 * password (they would be stored and shown), no fragment. Returns the URL to store.
 */
export function webhookUrl(raw: string, policy: TargetPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetRefusedError("must be an absolute URL like https://example.com/hooks");
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && policy.allowHttp))
    throw new TargetRefusedError(
      policy.allowHttp ? "must start with https:// or http://" : "must start with https://",
    );
  if (url.username || url.password) throw new TargetRefusedError("must not contain a user or password");
  if (url.hash || raw.includes("#")) throw new TargetRefusedError("must not contain a fragment (#…)");
  // Nothing listens on port 0 (connecting to it fails on every attempt); an explicit ":0" is
  // the only way to get it, the default port is kept as "".
  if (url.port === "0") throw new TargetRefusedError("must not use port 0");
  return url;
}

/** Where a delivery connects: the address checked, so DNS cannot change it between check and connect. */
export interface ResolvedTarget {
  url: URL;
  address: string;
  family: 4 | 6;
}

/**
 * Resolves the URL's host (every address it has) and refuses it if any address is loopback,
 * private, link-local, CGNAT, multicast or metadata, unless the operator allows private
 * targets. Every address is checked, not just the first: a name answering a public and a
 * private address would otherwise reach the private one on some attempts.
 */
export async function resolveWebhookTarget(raw: string, policy: TargetPolicy): Promise<ResolvedTarget> {
  const url = webhookUrl(raw, policy);
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: { address: string; family: number }[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await lookupAll(host);
    } catch (error) {
      const code = (error as { code?: string }).code ?? "lookup failed";
      throw new TargetRefusedError(`host ${host} could not be resolved (${code})`);
    }
  }
  const first = addresses[0];
  if (!first) throw new TargetRefusedError(`host ${host} has no address`);
  if (!policy.allowPrivate) {
    for (const { address } of addresses) {
      const reason = forbiddenAddressReason(address);
      if (reason)
        throw new TargetRefusedError(`resolves to ${address} (${reason}): not allowed as a webhook target`);
    }
  }
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}
