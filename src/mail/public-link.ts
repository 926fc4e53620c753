import type { Config } from "../core/config.ts";

/**
 * The absolute URL of `path` for a mail: from CRM_PUBLIC_URL, never from the request's Host
 * header, which anyone can set (a reset link pointing at an attacker's host would hand them
 * the token). Mail is only on with CRM_PUBLIC_URL set (config.ts).
 */
export function publicLink(config: Pick<Config, "publicUrl">, path: string): string {
  if (!config.publicUrl) throw new Error("mail links need CRM_PUBLIC_URL");
  return `${config.publicUrl}${path}`;
}
