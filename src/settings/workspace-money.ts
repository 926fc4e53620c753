import { type FieldIssue, ValidationError } from "../core/errors.ts";
import { isCurrency } from "../core/money.ts";
import type { AmountLocale } from "../core/typed-amount.ts";
import { requireRole } from "../identity/roles.ts";
import type { Actor } from "../identity/viewer.ts";
import { workspaceCurrency } from "../pipelines/pipelines.ts";
import type { Shard } from "../tenancy/shard.ts";

/**
 * The locales Settings offers: how amounts are written and shown (decimal mark, grouping, where
 * the symbol goes). A short list, not every BCP 47 tag: each is one people pick from a menu, and
 * each groups digits by three, which the amount parser expects.
 */
export const WORKSPACE_LOCALES = [
  { value: "en-US", label: "English (United States): 12,500.00" },
  { value: "en-GB", label: "English (United Kingdom): 12,500.00" },
  { value: "en-CA", label: "English (Canada): 12,500.00" },
  { value: "en-AU", label: "English (Australia): 12,500.00" },
  { value: "de-DE", label: "Deutsch (Deutschland): 12.500,00" },
  { value: "de-AT", label: "Deutsch (Österreich): 12 500,00" },
  { value: "de-CH", label: "Deutsch (Schweiz): 12’500.00" },
  { value: "fr-FR", label: "Français (France): 12 500,00" },
  { value: "fr-CA", label: "Français (Canada): 12 500,00" },
  { value: "es-ES", label: "Español (España): 12.500,00" },
  { value: "it-IT", label: "Italiano (Italia): 12.500,00" },
  { value: "nl-NL", label: "Nederlands (Nederland): 12.500,00" },
  { value: "pt-BR", label: "Português (Brasil): 12.500,00" },
  { value: "sv-SE", label: "Svenska (Sverige): 12 500,00" },
  { value: "pl-PL", label: "Polski (Polska): 12 500,00" },
  { value: "ja-JP", label: "日本語 (日本): 12,500" },
] as const;

const LOCALES: Set<string> = new Set(WORKSPACE_LOCALES.map((l) => l.value));

function setting(shard: Shard, key: string): string | undefined {
  return (
    shard.statement("SELECT value FROM workspace_settings WHERE key = ?").get(key) as { value: string } | null
  )?.value;
}

function put(shard: Shard, key: string, value: string): void {
  shard
    .statement(
      "INSERT INTO workspace_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .run(key, value);
}

/** The workspace's locale (workspace_settings `locale`), en-US until changed. */
export function workspaceLocale(shard: Shard): string {
  const locale = setting(shard, "locale");
  return locale && LOCALES.has(locale) ? locale : "en-US";
}

/** The workspace's currency for new deals and its locale: how page forms read amounts and pages show them. */
export function workspaceMoney(shard: Shard): AmountLocale {
  return { currency: workspaceCurrency(shard), locale: workspaceLocale(shard) };
}

/**
 * Sets the workspace's currency (ISO 4217) and locale, for owners and admins; a 422 naming each
 * bad field and nothing written otherwise. Amounts are not converted: a deal keeps the
 * currency it was made in, and new deals take the new one.
 */
export function setWorkspaceMoney(
  shard: Shard,
  actor: Actor,
  input: { currency?: unknown; locale?: unknown },
): AmountLocale {
  requireRole(actor.role, "admin");
  const currency = typeof input.currency === "string" ? input.currency.trim().toUpperCase() : "";
  const locale = typeof input.locale === "string" ? input.locale.trim() : "";
  const issues: FieldIssue[] = [];
  if (!currency) issues.push({ field: "currency", message: "is required" });
  else if (currency.length !== 3 || !isCurrency(currency))
    issues.push({ field: "currency", message: "must be an ISO 4217 currency code like USD, EUR or GBP" });
  if (!LOCALES.has(locale)) issues.push({ field: "locale", message: "must be one of the listed locales" });
  if (issues.length) throw new ValidationError(issues);
  shard.transaction(() => {
    put(shard, "currency", currency);
    put(shard, "locale", locale);
  });
  return { currency, locale };
}
