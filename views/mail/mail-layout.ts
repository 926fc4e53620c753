import { type Html, type HtmlValue, html } from "../html.ts";

/** A mail's HTML part: one narrow column, the workspace named at the top, one button-like link. */
export function mailHtml(p: {
  workspaceName: string;
  lines: HtmlValue[];
  action: { label: string; href: string };
  footer: string;
}): Html {
  return html`<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#1f2933;max-width:36rem;margin:0 auto;padding:1rem"><p style="font-weight:600">${p.workspaceName}</p>${p.lines.map(
    (line) => html`<p>${line}</p>`,
  )}<p><a href="${p.action.href}" style="display:inline-block;background:#2457c5;color:#fff;padding:.6rem 1rem;border-radius:4px;text-decoration:none">${p.action.label}</a></p><p style="font-size:.9em;color:#52606d">Or paste this link into your browser:<br>${p.action.href}</p><p style="font-size:.9em;color:#52606d">${p.footer}</p></body></html>`;
}
