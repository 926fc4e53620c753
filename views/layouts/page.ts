import { type Html, type HtmlValue, html } from "../html.ts";
import { dueBadge } from "./due-badge.ts";
import type { NavKey, PageContext } from "./page-context.ts";

export interface PageOptions {
  title: string;
  nav?: NavKey;
  body: HtmlValue;
  flash?: HtmlValue;
  /**
   * The id the "Skip to content" link lands on, when not the whole main: a list page's rows,
   * so its first record is three Tabs from the top (the element takes tabindex="-1").
   */
  skipTo?: string;
}

function navLink(
  ctx: PageContext,
  key: NavKey,
  label: HtmlValue,
  path: string,
  current: NavKey | undefined,
): Html {
  const href = `/t/${ctx.workspace?.slug}/${path}`;
  return key === current
    ? html`<a href="${href}" aria-current="page">${label}</a>`
    : html`<a href="${href}">${label}</a>`;
}

/** The search box on every page: results drop down as you type; Enter opens the full results page. */
function searchBox(ctx: PageContext, base: string): Html {
  return html`<form class="global-search" role="search" aria-label="Everything" method="get" action="${base}/search">
    <input type="search" name="q" placeholder="Search everything" aria-label="Search contacts, companies, deals and notes" maxlength="200" autocomplete="off" role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="search-listbox" hx-get="${base}/search?fragment=dropdown" hx-trigger="input changed delay:200ms" hx-target="#search-dropdown" hx-swap="innerHTML" hx-sync="this:replace" hx-nonce="${ctx.nonce}">
    <div id="search-dropdown" class="search-dropdown" aria-live="polite"></div>
  </form>`;
}

function topBar(ctx: PageContext, nav: NavKey | undefined): HtmlValue {
  const workspace = ctx.workspace;
  if (!workspace) return html`<header class="topbar"><a class="brand" href="/">CRM</a></header>`;
  const base = `/t/${workspace.slug}`;
  const account = ctx.viewer
    ? html`<form class="signout" method="post" action="${base}/logout">
        <input type="hidden" name="_csrf" value="${ctx.csrfToken}">
        <a class="account-link" href="${base}/account" title="Your account"><span class="who">${ctx.viewer.name} · ${ctx.viewer.role}</span></a>
        <button type="submit" class="link">Sign out</button>
      </form>`
    : "";
  const links = ctx.viewer
    ? html`<nav class="mainnav" aria-label="Main">
        ${navLink(ctx, "contacts", "Contacts", "contacts", nav)}
        ${navLink(ctx, "companies", "Companies", "companies", nav)}
        ${navLink(ctx, "deals", "Deals", "deals/board", nav)}
        ${navLink(ctx, "segments", "Segments", "segments", nav)}
        ${navLink(ctx, "tasks", html`Tasks ${dueBadge(ctx.dueTasks)}`, "tasks", nav)}
        ${navLink(ctx, "reports", "Reports", "reports", nav)}
        ${navLink(ctx, "settings", "Settings", "settings/users", nav)}
      </nav>
      ${searchBox(ctx, base)}`
    : "";
  return html`<header class="topbar">
    <a class="brand" href="${base}/contacts">${workspace.name}</a>
    ${links}
    ${account}
  </header>`;
}

/**
 * The page shell. Scripts carry the request's CSP nonce; hx-csp reads it from them and then
 * only lets htmx act on elements stamped with the same nonce (hx-nonce).
 */
export function page(ctx: PageContext, options: PageOptions): Html {
  const suffix = ctx.workspace ? `${ctx.workspace.name} · CRM` : "CRM";
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · ${suffix}</title>
<meta name="csrf-token" content="${ctx.csrfToken}">
<meta name="htmx-config" content='{"extensions":"hx-csp","defaultTimeout":15000}'>
<link rel="icon" href="${ctx.assets.icon}" type="image/svg+xml">
<link rel="stylesheet" href="${ctx.assets.css}">
<script src="${ctx.assets.htmx}" nonce="${ctx.nonce}" defer></script>
<script src="${ctx.assets.hxCsp}" nonce="${ctx.nonce}" defer></script>
<script src="${ctx.assets.app}" nonce="${ctx.nonce}" defer></script>
</head>
<body>
<a class="skip-link" href="#${options.skipTo ?? "main"}">Skip to content</a>
${topBar(ctx, options.nav)}
<div id="flash" role="status" aria-live="polite">${options.flash ?? ""}</div>
<main id="main" tabindex="-1">
${options.body}
</main>
</body>
</html>`;
}
