import { type Html, html, join } from "../html.ts";

const SECTIONS = [
  ["users", "Team"],
  ["pipelines", "Pipelines"],
  ["fields", "Custom fields"],
  ["audit", "Audit log"],
  ["workspace", "Workspace"],
  ["analytics", "Analytics"],
  ["webhooks", "Webhooks"],
] as const;

export type SettingsSection = (typeof SECTIONS)[number][0] | "privacy";

/** The tabs across the top of every settings page. */
export function settingsNav(base: string, current: SettingsSection): Html {
  const tab = (href: string, label: string, key: SettingsSection) =>
    key === current
      ? html`<strong aria-current="page">${label}</strong>`
      : html`<a href="${href}">${label}</a>`;
  return html`<nav class="tabs settings-nav" aria-label="Settings">${join(
    SECTIONS.map(([key, label]) => tab(`${base}/settings/${key}`, label, key)),
  )}${tab(`${base}/privacy`, "Data & privacy", "privacy")}</nav>`;
}
