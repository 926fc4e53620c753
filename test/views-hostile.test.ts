/**
 * Every view, rendered with hostile text in every field a user or a request can fill
 * (docs/decisions/0002-one-rendering-rule.md). The view modules are listed from the file
 * system, so a new view cannot be missed: each exported function needs an entry in VIEWS
 * (its props built from the hostile string) or a reason it renders no HTML.
 *
 * Which fields are trusted by construction, and so plain, is listed in test/support/hostile-props.ts;
 * every other string is hostile: markup, quotes that would end an attribute, `javascript:` URLs,
 * control characters (test/support/html-injections.ts says what counts as getting through).
 */
import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Html, html } from "../views/html.ts";
import { hostileChart } from "./support/hostile-charts.ts";
import {
  ASSETS,
  BASE,
  CSRF,
  emptySearch,
  type HostileProps,
  hostileProps,
  type KindView,
  NONCE,
  searchResults,
  T0,
} from "./support/hostile-props.ts";
import { injections, JS_URL, MARKUP, SHOWN, SHOWN_IN_URL } from "./support/html-injections.ts";

const ROOT = join(import.meta.dir, "..");

const HOSTILE = { markup: MARKUP, "javascript: URL": JS_URL };

// biome-ignore lint/suspicious/noExplicitAny: each entry calls its view with the props that view takes; a mismatch fails at run time, naming the view.
type View = (...args: any[]) => unknown;
/** Renders one view in one or more ways, with the fixtures built from a hostile string. */
type Entry = (view: View, f: HostileProps) => unknown;
/** An export that renders no HTML, and why. */
type NotHtml = { notHtml: string };

const notHtml = (why: string): NotHtml => ({ notHtml: why });

/** A webhook subscription whose every text is hostile; `failed`: disabled after failures, with why. */
function hostileWebhook(f: HostileProps, failed: boolean) {
  return {
    id: 5,
    url: f.s,
    events: [f.s, f.s],
    enabled: !failed,
    cursor: 0,
    failures: failed ? 4 : 0,
    nextAttemptAt: null,
    disabledReason: failed ? f.s : null,
    disabledAt: failed ? T0 : null,
    createdAt: T0,
    updatedAt: T0,
  };
}

/** The webhooks tab: with a failed and a healthy subscription, a problem, a secret and form errors; and empty. */
function webhookListRenders(v: View, f: HostileProps) {
  const props = {
    ctx: f.ctx,
    base: BASE,
    webhooks: [hostileWebhook(f, true), hostileWebhook(f, false)],
    form: { values: { url: f.s, events: f.s }, errors: { url: f.s, events: f.s } },
    problem: f.s,
    secret: { url: f.s, value: f.s },
  };
  return [v(props), v({ ...props, webhooks: [], problem: undefined, secret: undefined })];
}

/** Segment fields of every kind, their labels and choices hostile. */
function segmentFields(f: HostileProps) {
  const target = { kind: "text", column: "firstName" };
  return [
    {
      name: "firstName",
      label: f.s,
      group: "Contact",
      kind: "text",
      ops: ["equals", "contains", "in", "is_empty"],
      target,
    },
    { name: "createdAt", label: f.s, group: "Contact", kind: "date", ops: ["equals", "between"], target },
    { name: "tags", label: f.s, group: "Contact", kind: "tag", ops: ["contains", "in"], target },
    {
      name: "owner",
      label: f.s,
      group: "Contact",
      kind: "user",
      ops: ["equals", "in"],
      choices: [{ value: "1", label: f.s }],
      target,
    },
    {
      name: "cf.hostile",
      label: f.s,
      group: "Custom fields",
      kind: "select",
      ops: ["equals", "in"],
      choices: [{ value: f.s, label: f.s }],
      target,
    },
    { name: "cf.box", label: f.s, group: "Custom fields", kind: "checkbox", ops: ["equals"], target },
    {
      name: "lastInteraction",
      label: f.s,
      group: "Activity",
      kind: "days",
      ops: ["none_in_last_days"],
      target,
    },
  ];
}

/** Saved rules naming hostile values and a field that no longer exists. */
function segmentRules(f: HostileProps) {
  return {
    match: "any",
    rules: [
      { field: "firstName", op: "equals", value: f.s },
      { field: "cf.hostile", op: "in", value: [f.s, f.s] },
      { field: "cf.box", op: "equals", value: true },
      {
        match: "all",
        rules: [
          { field: f.s, op: "is_empty" },
          { field: "lastInteraction", op: "none_in_last_days", value: 30 },
        ],
      },
    ],
  };
}

/** A background task in each state it can be shown in, its label, message and outcome hostile. */
function backgroundTasks(f: HostileProps) {
  const task = {
    id: 7,
    kind: "import",
    label: f.s,
    status: "running" as const,
    done: 3,
    total: 10,
    message: f.s,
    result: null as unknown,
    cancelRequested: false,
    runner: "here",
    createdBy: 1,
    createdAt: 0,
    updatedAt: 0,
    finishedAt: null as number | null,
    interrupted: false,
    finished: false,
  };
  return [
    task,
    { ...task, status: "queued" as const, total: null, cancelRequested: true },
    { ...task, interrupted: true },
    {
      ...task,
      status: "done" as const,
      finished: true,
      finishedAt: 1,
      // A result only the server writes, but a link in it must still be a path of ours to be shown.
      result: {
        summary: [f.s, f.s],
        links: [
          { href: `${BASE}/imports/1`, label: f.s },
          { href: f.s, label: f.s },
        ],
      },
    },
    { ...task, status: "failed" as const, finished: true },
  ];
}

/** An import in each state its pages show, every name, header, cell and reason in it hostile. */
function importViews(f: HostileProps) {
  const counts = {
    rows: 3,
    created: 1,
    updated: 1,
    skipped: 0,
    rejected: 1,
    newCompanies: 1,
    examples: [{ row: 2, reasons: [f.s, f.s] }],
  };
  const record = {
    id: 7,
    kind: "contact" as const,
    status: "uploaded" as const,
    fileName: f.s,
    storedFile: f.s,
    sizeBytes: 10,
    encoding: "utf-8" as const,
    delimiter: f.s,
    columns: [f.s, f.s],
    sample: { rows: [[f.s, f.s]], estimatedRows: 3 },
    mapping: { targets: [f.s, ""], dateOrder: "auto" as const, nullAsEmpty: true },
    checked: null as typeof counts | null,
    outcome: null as typeof counts | null,
    reportFile: f.s,
    taskId: 7,
    createdBy: 1,
    createdAt: T0,
    updatedAt: T0,
    hasWrites: false,
  };
  return [
    record,
    { ...record, status: "checked" as const, checked: counts },
    { ...record, status: "done" as const, outcome: counts, hasWrites: true },
    { ...record, status: "failed" as const, hasWrites: true },
    { ...record, status: "undone" as const },
  ];
}

/** Every exported function of every view module, by `<path under views/ without extension>#<name>`. */
/** The ops dashboard's figures, every text in them hostile: routes, workspaces' slugs and names, request ids. */
function opsFixture(f: HostileProps) {
  const buckets = [0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
  const data = {
    now: T0,
    startedAt: T0 - 3_600_000,
    sampleSeconds: 5,
    processes: 2,
    intervals: [1, 2, 3].map((i) => ({
      at: T0 - i * 20_000,
      seconds: 5,
      requests: 7,
      errors: 1,
      buckets,
      cpuSeconds: 0.1,
      rssBytes: 9e7,
      openShards: 3,
      poolQueued: 1,
    })),
    slowestRoutes: [{ route: f.s, requests: 3, p95Seconds: 0.02 }],
    topTenants: [{ slug: f.s, requests: 9, seconds: 0.5 }],
    recentErrors: [{ at: T0, method: f.s, route: f.s, status: 503, tenant: f.s, requestId: f.s }],
    tickMicros: 30,
    partial: true,
  };
  const summary = {
    slo: 0.999,
    uptimeSeconds: 3600,
    last5m: { seconds: 300, requests: 21, errors: 3, errorRate: 0.14, p50Ms: 4, p95Ms: 9, p99Ms: 20 },
    kept: { seconds: 3600, requests: 21, errors: 3, errorRate: 0.14, p50Ms: 4, p95Ms: 9, p99Ms: 20 },
    budgetLeftPercent: -14_000,
    points: data.intervals.map((i) => ({
      at: i.at,
      requestsPerSecond: 1.4,
      errorsPerSecond: 0.2,
      p50Ms: 4,
      p95Ms: null,
      p99Ms: 20,
      cpuPercent: 2,
      rssMegabytes: 90,
      openShards: 3,
      poolQueued: 1,
    })),
  };
  const storage = { at: T0, top: [{ slug: f.s, bytes: 4096 }], total: 4096, tenants: 1 };
  return { data, summary, storage, names: { [f.s]: f.s } };
}

const VIEWS: Record<string, Entry | NotHtml> = {
  // background
  "background/task-progress#taskProgress": (v, f) =>
    backgroundTasks(f).map((task) =>
      v({ task, href: `${BASE}/background/7`, nonce: NONCE, csrfToken: CSRF }),
    ),
  "background/task-progress#taskProgressPage": (v, f) =>
    backgroundTasks(f).map((task) =>
      v(f.ctx, "contacts", { task, href: `${BASE}/background/7`, nonce: NONCE, csrfToken: CSRF }),
    ),

  // imports
  "imports/imports-page#importsPage": (v, f) =>
    [true, false].map((canImport) =>
      v({
        ctx: f.ctx,
        base: BASE,
        imports: importViews(f),
        canImport,
        kinds: [{ value: f.s, label: f.s }],
        kind: f.s,
        maxSize: f.s,
        error: f.s,
      }),
    ),
  "imports/import-page#importPage": (v, f) =>
    importViews(f).flatMap((record) =>
      [false, true].map((busy) =>
        v({
          ctx: f.ctx,
          base: BASE,
          nav: "contacts",
          record,
          kindPlural: f.s,
          columns: [{ index: 0, header: f.s, samples: [f.s, f.s], target: f.s, sameNameAs: 0, error: f.s }],
          targets: [
            { value: f.s, label: f.s, group: f.s },
            { value: "", label: f.s, group: "" },
          ],
          encodings: [{ value: f.s, label: f.s }],
          delimiters: [{ value: f.s, label: f.s }],
          dateOrders: [{ value: f.s, label: f.s }],
          mappingErrors: [f.s],
          canWrite: true,
          task: { task: backgroundTasks(f)[0], href: `${BASE}/background/7`, nonce: NONCE, csrfToken: CSRF },
          busy,
        }),
      ),
    ),
  "imports/undo-page#undoPage": (v, f) =>
    importViews(f).map((record) =>
      v({ ctx: f.ctx, base: BASE, nav: "contacts", record, preview: { remove: 2, restore: 1, keep: 1 } }),
    ),

  // auth
  "auth/accept-invite-page#acceptInvitePage": (v, f) =>
    v({
      ctx: f.bareCtx,
      workspace: { slug: "acme", name: f.s },
      token: f.s,
      email: f.s,
      role: f.s,
      form: f.form,
    }),
  "auth/auth-form#authFormPage": (v, f) =>
    v({
      ctx: f.bareCtx,
      title: f.s,
      intro: f.s,
      action: "/signup",
      submitLabel: f.s,
      form: f.form,
      shownFields: [f.s],
      fields: f.s,
      footer: f.s,
      problem: f.s,
    }),
  "auth/landing-page#landingPage": (v, f) => [v(f.bareCtx), v(f.bareCtx, f.s)],
  "auth/login-page#loginPage": (v, f) =>
    v({ ctx: f.bareCtx, workspace: { slug: "acme", name: f.s }, form: f.form, next: f.s, problem: f.s }),
  "auth/signup-page#signupPage": (v, f) => v({ ctx: f.bareCtx, form: f.form }),
  "auth/forgot-password-page#forgotPasswordPage": (v, f) =>
    [
      { mailOn: true, sent: false },
      { mailOn: true, sent: true },
      { mailOn: false, sent: false },
    ].map((mode) =>
      v({
        ctx: f.bareCtx,
        workspace: { slug: "acme", name: f.s },
        form: f.form,
        problem: f.s,
        minutes: 60,
        ...mode,
      }),
    ),
  "auth/reset-password-page#resetPasswordPage": (v, f) =>
    v({
      ctx: f.bareCtx,
      workspace: { slug: "acme", name: f.s },
      token: f.s,
      email: f.s,
      form: f.form,
      minLength: 10,
      maxLength: 200,
    }),
  "auth/reset-password-page#resetLinkProblemPage": (v, f) =>
    (["used", "expired", "unknown"] as const).map((state) =>
      v({ ctx: f.bareCtx, workspace: { slug: "acme", name: f.s }, state }),
    ),

  // mail: the HTML part (the link is built from CRM_PUBLIC_URL, an operator's setting)
  "mail/mail-layout#mailHtml": (v, f) =>
    v({
      workspaceName: f.s,
      lines: [f.s],
      action: { label: f.s, href: "https://crm.example/t/acme/x" },
      footer: f.s,
    }),
  "mail/invitation-mail#invitationMail": (v, f) =>
    (
      v({
        workspaceName: f.s,
        inviterName: f.s,
        role: f.s,
        link: "https://crm.example/t/acme/invites/x",
        days: 7,
      }) as { html: string }
    ).html,
  "mail/password-reset-mail#passwordResetMail": (v, f) =>
    (
      v({
        workspaceName: f.s,
        name: f.s,
        link: "https://crm.example/t/acme/password-reset/x",
        minutes: 60,
      }) as { html: string }
    ).html,

  // account
  "account/account-page#accountPage": (v, f) =>
    (["name", "password", "reset", undefined] as const).map((done) =>
      v({
        ctx: f.ctx,
        base: BASE,
        email: f.s,
        role: f.s,
        nameForm: f.form,
        passwordForm: f.form,
        done,
        nameMaxLength: 100,
        passwordMinLength: 10,
        passwordMaxLength: 200,
      }),
    ),

  // bulk
  "bulk/bulk-confirm-page#bulkConfirmPage": (v, f) =>
    v({
      ctx: f.ctx,
      nav: "contacts",
      what: f.s,
      action: `${BASE}/contacts/bulk`,
      fields: { _csrf: f.s, confirm: f.s, ids: `${f.s}\n${f.s}`, action: f.s, tag: f.s, [f.s]: f.s },
      backHref: `${BASE}/contacts?${f.s}`,
    }),

  // companies
  "companies/company-fields#companyFields": (v, f) => v(f.form, f.users, "company"),
  "companies/company-name-field#companyNameField": (v, f) =>
    v({ form: f.form, idPrefix: "contact", base: BASE, nonce: NONCE }),
  "companies/company-options#companyOptions": (v, f) => [v([f.s, f.s]), v([])],
  "companies/company-page#companyPage": (v, f) => [
    v({ ctx: f.ctx, company: f.company, contacts: [f.contact], row: f.row, sections: f.sections }),
    v({
      ctx: f.ctx,
      company: { ...f.company, domain: null, city: null, tags: [] },
      contacts: [],
      row: f.readOnlyRow,
      sections: f.readOnlySections,
    }),
  ],
  "companies/company-row.raw#companyRow": (v, f) => [v(f.company, f.row), v(f.company, f.readOnlyRow)],
  "companies/company-row.raw#domainLink": (v, f) => [v(f.s), v(null)],
  "companies/new-company-form#newCompanyInputs": (v, f) => v({ form: f.form, base: BASE, nonce: NONCE }),

  // components
  "components/bulk-bar#bulkMatching": (v) => [v(3), v(1000, true), v(0, false, { nonce: NONCE })],
  "components/bulk-bar#bulkBar": (v, f) => [v(f.bulk), v({ ...f.bulk, stages: undefined })],
  "components/flash#flashFragment": (v, f) => [v("error", f.s), v("notice", f.s)],
  "components/form-field#csrfField": (v, f) => v(f.s),
  "components/form-field#formErrors": (v, f) => v(f.form, []),
  "components/form-field#selectField": (v, f) =>
    v({ name: "other", label: f.s, form: f.form, idPrefix: "x", options: f.options }),
  "components/form-field#textField": (v, f) =>
    v({ name: "other", label: f.s, form: f.form, idPrefix: "x", placeholder: f.s, list: "x-list" }),
  "components/format#formatCount": notHtml("formats a number"),
  "components/format#formatDateTime": notHtml("formats a timestamp"),
  "components/format#formatDay": notHtml("formats a timestamp"),
  "layouts/due-badge#dueBadge": (v) => [v(3), v(0), v(undefined, { nonce: NONCE }), v(12, { nonce: NONCE })],
  "components/local-time#exactLocalTime": notHtml("formats a timestamp"),
  "components/local-time#relativeTime": notHtml("formats a timestamp"),
  "components/local-time#localTime": (v, f) => [
    v(f.clock.now - 7_200_000, f.clock),
    v(0, { zone: "Asia/Kolkata", now: f.clock.now }),
  ],
  "components/list-columns#chosenColumns": notHtml("reads the chosen columns from a URL"),
  "components/list-columns#columnChoices": notHtml("lists column choices"),
  "components/list-columns#columnsParam": notHtml("builds a URL parameter"),
  "components/list-columns#hiddenColumnsStyle": (v, f) => [
    v("#contacts-results table.list", f.row, f.columns),
    v("#contacts-results table.list", f.readOnlyRow, f.columns),
  ],
  "components/list-columns#listColumns": notHtml("lists column choices"),
  "components/list-filters#listFilters": (v, f) =>
    v({
      action: `${BASE}/contacts`,
      target: "#contacts-results",
      nonce: NONCE,
      searchPlaceholder: f.s,
      values: f.listPageProps.filters,
      tags: [f.s],
      owners: f.options,
      sorts: f.options,
      extra: [[f.s, f.s, f.options]],
      customFields: f.fields,
      columns: f.columns,
    }),
  "components/list-filters#listHref": notHtml("builds a URL (its parts are query-encoded)"),
  "components/list-filters#activeFilterCount": notHtml("counts the filters that are set"),
  "components/length-hint#lengthHint": notHtml("says a number of characters"),
  "components/long-text.raw#titleIfLong": (v, f) => [v(f.s, 0), v(f.s, 10_000)],
  "components/sort-header.raw#sortHeader": (v, f) => [
    v(f.s, { href: `${BASE}/contacts?q=${f.s}&sort=name&order=asc`, state: "descending" }),
    v(f.s, { href: `${BASE}/contacts?sort=amount`, state: undefined }, true),
    v(f.s, undefined),
  ],
  "components/sort-header.raw#sortHeaderRaw": (v, f) => [
    v(f.s, { href: `${BASE}/contacts?q=${f.s}&sort=name&order=desc`, state: "ascending" }, true),
    v(f.s, undefined),
  ],
  "components/pager#pager": (v, f) => [
    v({
      baseHref: `${BASE}/contacts?q=${f.s}`,
      nextCursor: f.s,
      prevCursor: f.s,
      target: "#r",
      nonce: NONCE,
    }),
    v({ baseHref: `${BASE}/contacts`, nextCursor: f.s, prevCursor: null, target: "#r", nonce: NONCE }),
  ],
  "components/record-form-page#confirmDeletePage": (v, f) =>
    v({ ctx: f.ctx, nav: "contacts", name: f.s, action: `${BASE}/contacts/101/delete`, cancelHref: BASE }),
  "components/record-form-page#recordFormPage": (v, f) =>
    v({
      ctx: f.ctx,
      nav: "contacts",
      title: f.s,
      action: `${BASE}/contacts`,
      cancelHref: `${BASE}/contacts`,
      submitLabel: f.s,
      form: f.form,
      shownFields: [],
      fields: f.s,
    }),
  "components/refused-page#refusedPage": (v, f) => [
    v({ ctx: f.ctx, nav: "deals", problems: [f.s, f.s], backHref: `${BASE}/deals?${f.s}`, backLabel: f.s }),
    v({ ctx: f.ctx, nav: "deals", problems: [f.s], backHref: `${BASE}/deals` }),
  ],
  "components/owner-options#ownerOptions": notHtml("select options, rendered by selectField"),
  "components/row-actions.raw#rowActions": (v, f) => [
    v(f.row, `${BASE}/contacts/101`, f.s),
    v(f.readOnlyRow, `${BASE}/contacts/101`, f.s),
  ],
  "components/saved-views-bar#saveViewForm": (v, f) => [v(f.saveView), v({ ...f.saveView, canShare: false })],
  "components/saved-views-bar#savedViewsBar": (v, f) => [
    v(f.savedViews),
    v({ ...f.savedViews, isAdmin: false, current: `?q=${f.s}` }),
  ],
  "components/select-cell.raw#selectCell": (v, f) => [v(f.row, 101, f.s), v(f.readOnlyRow, 101, f.s)],
  "components/select-cell.raw#selectHeader": (v, f) => [v(f.row), v(f.readOnlyRow)],
  "components/tags.raw#tagChips": (v, f) => v([f.s, "vip"], `${BASE}/contacts`),

  // contacts
  "contacts/contact-fields#contactFields": (v, f) => v(f.form, f.users, "contact", BASE, NONCE),
  "contacts/contact-page#contactPage": (v, f) => [
    v({
      ctx: f.ctx,
      contact: f.contact,
      name: f.s,
      row: f.row,
      canManagePrivacy: true,
      sections: f.sections,
      engagement: [
        {
          kind: f.s,
          count: 3,
          firstAt: T0,
          lastAt: T0,
          last: { url: f.s, title: f.s, campaign: f.s, form: f.s },
        },
      ],
      zone: "Europe/Paris",
    }),
    v({
      ctx: f.ctx,
      contact: { ...f.contact, email: null, title: null, companyId: null, tags: [] },
      name: f.s,
      row: f.readOnlyRow,
      canManagePrivacy: false,
      sections: f.readOnlySections,
      engagement: [],
      zone: "UTC",
    }),
  ],
  "contacts/engagement-section#engagementSection": (v, f) => [
    v(
      [
        {
          kind: "web.visit",
          count: 2,
          firstAt: T0,
          lastAt: T0,
          last: { url: f.s, title: f.s, campaign: f.s, form: f.s },
        },
        { kind: f.s, count: 1, firstAt: T0, lastAt: T0, last: { url: `https://example.com/?q=${f.s}` } },
      ],
      "Europe/Paris",
    ),
    v([], "UTC"),
  ],
  "contacts/contact-row.raw#contactRow": (v, f) => [v(f.contact, f.row), v(f.contact, f.readOnlyRow)],
  "contacts/new-contact-form#newContactInputs": (v, f) => v({ form: f.form, base: BASE, nonce: NONCE }),

  // custom fields
  "custom-fields/custom-cells.raw#customCells": (v, f) => [
    v(f.custom, 101),
    v(f.custom, 999),
    v(undefined, 101),
  ],
  "custom-fields/custom-cells.raw#customHeaderCells": (v, f) => [v(f.custom), v(undefined)],
  "custom-fields/custom-facts#customFacts": (v, f) => [v(f.fields, f.values), v(f.fields, {})],
  "custom-fields/custom-inputs#customFieldNames": notHtml("input names"),
  "custom-fields/custom-inputs#customInputs": (v, f) => v(f.fields, f.form, "new-contact"),
  "custom-fields/custom-value.raw#customValueHtml": (v, f) =>
    f.fields.map((field) => v(field, f.values[field.key])),

  // deals
  "deals/board-page#boardPage": (v, f) => [
    v({
      ctx: f.ctx,
      base: BASE,
      pipelines: f.pipelines,
      current: f.pipeline,
      canWrite: true,
      board: html`<div id="board"></div>`,
    }),
    v({
      ctx: f.ctx,
      base: BASE,
      pipelines: f.pipelines,
      current: f.pipeline,
      canWrite: false,
      board: html``,
    }),
  ],
  "deals/board#boardSection": (v, f) => {
    const sums = [{ currency: "EUR", cents: 1_250_000 }];
    const column = (i: number, more: boolean) => ({
      stage: f.stages[i],
      count: 3,
      sums: more ? sums : [],
      weighted: sums,
      deals: [f.deal("open")],
      more,
    });
    const board = { pipeline: f.pipeline, columns: [column(0, true), column(2, false), column(3, false)] };
    const card = { base: BASE, nonce: NONCE, csrfToken: CSRF, canWrite: true, stages: f.stages };
    return [v(board, card), v(board, { ...card, canWrite: false })];
  },
  "deals/deal-card.raw#dealCard": (v, f) => {
    const card = { base: BASE, nonce: NONCE, csrfToken: CSRF, canWrite: true, stages: f.stages };
    return [v(f.deal("open"), card), v({ ...f.deal("won"), amountCents: 0 }, { ...card, canWrite: false })];
  },
  "deals/move-deal-form#moveDealForm": (v, f) => [
    v({
      action: `${BASE}/deals/7/stage`,
      csrfToken: CSRF,
      stages: f.stages,
      currentStageId: f.stages[0]?.id,
    }),
    v({ action: "", csrfToken: CSRF, stages: f.stages }),
  ],
  "deals/move-deal-page#moveDealPage": (v, f) => [
    v({ ctx: f.ctx, deal: f.deal("open"), stages: f.stages, base: BASE }),
    v({
      ctx: f.ctx,
      deal: f.deal("open"),
      stages: f.stages,
      base: BASE,
      form: { values: { lostReason: f.s }, errors: { lostReason: f.s } },
    }),
  ],
  "deals/lost-reason-field#lostReasonField": (v, f) => [
    v({ idPrefix: "lost", form: { values: { lostReason: f.s }, errors: { lostReason: f.s } }, label: f.s }),
    v({ idPrefix: "lost", required: true }),
  ],
  "deals/deal-fields#dealFields": (v, f) => [
    v(f.form, f.users, f.pipelines, BASE, NONCE, true),
    v(f.form, f.users, [f.pipeline], BASE, NONCE, false, f.s),
    v(
      { ...f.form, values: { ...f.form.values, lostReason: f.s } },
      f.users,
      [f.pipeline],
      BASE,
      NONCE,
      false,
    ),
  ],
  "deals/deal-page#dealPage": (v, f) =>
    (["open", "won", "lost"] as const).map((status) =>
      v({
        ctx: f.ctx,
        deal: f.deal(status),
        stages: f.stages,
        people: [f.contact],
        row: status === "won" ? f.readOnlyRow : f.row,
        sections: status === "won" ? f.readOnlySections : f.sections,
      }),
    ),
  "deals/deal-row.raw#dealRow": (v, f) => [v(f.deal("open"), f.row), v(f.deal("lost"), f.readOnlyRow)],

  // errors
  "errors/error-page#errorPage": (v, f) =>
    v({ status: 404, title: f.s, message: f.s, nonce: NONCE, assets: ASSETS }),

  // exports
  "exports/export-link#exportLinks": (v, f) => [
    v(`${BASE}/contacts?q=${f.s}&cols=email`),
    v(`${BASE}/deals`),
  ],

  // layouts
  "layouts/page#page": (v, f) => [
    v(f.ctx, { title: f.s, nav: "tasks", body: f.s, flash: f.s }),
    v({ ...f.ctx, viewer: undefined }, { title: f.s, body: f.s }),
    v(f.bareCtx, { title: f.s, body: f.s }),
  ],

  // loadtest
  "loadtest/loadtest-report#loadtestReport": (v, f) => {
    const slice = {
      from: 0,
      seconds: 1,
      requests: 9,
      requestsPerSecond: 9,
      p50Ms: 1,
      p99Ms: 2,
      maxMs: 3,
      errors: 1,
    };
    const action = {
      name: f.s,
      count: 9,
      errors: 1,
      statuses: { [f.s]: 1 },
      meanMs: 1,
      p50Ms: 1,
      p99Ms: 2,
      maxMs: 3,
    };
    const summary = {
      url: f.s,
      scenario: f.s,
      startedAt: f.s,
      seconds: 1,
      connections: 2,
      users: [f.s, f.s],
      requests: 9,
      requestsPerSecond: 9,
      bytes: 900,
      errors: { total: 1, byStatus: { [f.s]: 1 }, socket: { connect: 0, read: 1, write: 0, timeout: 0 } },
      latencyMs: { min: 0.5, mean: 1, max: 3, p50: 1, p75: 1, p90: 2, p95: 2, p99: 2, "p99.9": 3 },
      slices: [
        { ...slice, rssBytes: 1e8 },
        { ...slice, from: 1, rssBytes: null },
      ],
      actions: [action],
      rss: { startBytes: 1e8, warmBytes: 1e8, endBytes: 1.1e8, growthPercent: 10 },
      created: { run: f.s, contacts: 1, deals: 1 },
      limits: { maxP99Ms: 1, maxRssGrowthPercent: 5 },
      failures: [f.s],
    };
    return [
      v(summary),
      v({ ...summary, slices: [], actions: [], failures: [], rss: { ...summary.rss, growthPercent: null } }),
    ];
  },

  // merge
  "merge/merge-candidates-page#mergeCandidatesPage": (v, f) => {
    const props = {
      ctx: f.ctx,
      nav: "contacts",
      noun: "contact",
      nouns: "contacts",
      survivor: f.mergeParty(101),
      mergePath: `${BASE}/contacts/101/merge`,
      query: f.s,
      candidates: [
        { id: 102, name: f.s, detail: f.s },
        { id: 103, name: f.s, detail: null },
      ],
      problem: f.s,
    };
    return [v(props), v({ ...props, candidates: [], problem: undefined })];
  },
  "merge/merge-page#mergePage": (v, f) =>
    v({
      ctx: f.ctx,
      nav: "contacts",
      noun: "contact",
      survivor: f.mergeParty(101),
      duplicate: { ...f.mergeParty(102), tags: [] },
      rows: [
        { key: f.s, label: f.s, survivor: f.s, duplicate: f.s },
        { key: "email", label: f.s, survivor: null, duplicate: html`<b>${f.s}</b>` },
      ],
      choices: { email: "duplicate" },
      moved: { people: 1, deals: 2, notes: 0, tasks: 1, interactions: 5, pushedEvents: 4 },
      action: `${BASE}/contacts/101/merge`,
      swapHref: `${BASE}/contacts/102/merge?with=101`,
      errors: [
        { field: f.s, message: f.s },
        { field: "keep.email", message: f.s },
        { field: "tags", message: f.s },
        { field: "duplicateId", message: f.s },
      ],
    }),
  // A row's values are text for mergePage's html tag, or Html already rendered.
  "merge/merge-rows#customMergeRows": (v, f) => mergeRowValues(v(f.fields, f.values, {})),
  "merge/merge-rows#mergeRows": (v, f) =>
    f.kinds
      .filter((k) => k.view.mergeShown)
      .map((k) => {
        const shown = k.view.mergeShown as Record<string, unknown>;
        return mergeRowValues(v([...Object.keys(shown), f.s], shown, k.record, k.record));
      }),

  // ops (the host's dashboard: routes, slugs, names and request ids are text from requests and workspaces)
  "ops/ops-charts#opsCharts": (v, f) => v(opsFixture(f).summary.points),
  "ops/ops-login-page#opsLoginPage": (v, f) => v({ ctx: f.bareCtx, form: f.form, problem: f.s }),
  "ops/ops-page#opsPage": (v, f) => v({ ctx: f.bareCtx, operator: f.s, signedIn: true, ...opsFixture(f) }),
  "ops/ops-panels#opsPanels": (v, f) => v(opsFixture(f)),
  "ops/ops-refused-page#opsRefusedPage": (v, f) => v(f.ctx),
  "ops/ops-tables#topTenantsTable": (v, f) => [v(opsFixture(f).data.topTenants, { [f.s]: f.s }), v([], {})],
  "ops/ops-tables#storageTable": (v, f) => [v(opsFixture(f).storage.top, {}), v([], {})],
  "ops/ops-tables#slowestRoutesTable": (v, f) => [v(opsFixture(f).data.slowestRoutes), v([])],
  "ops/ops-tables#recentErrorsTable": (v, f) => [v(opsFixture(f).data.recentErrors), v([])],

  // privacy
  "privacy/erasure-page#erasurePage": (v, f) => [
    v({
      ctx: f.ctx,
      person: {
        id: 101,
        name: f.s,
        email: f.s,
        notes: 1,
        tasks: 2,
        interactions: 3,
        deals: 1,
        pushedEvents: 7,
      },
      action: `${BASE}/privacy/contacts/101/erasure`,
      exportHref: `${BASE}/privacy/contacts/101/export`,
      cancelHref: `${BASE}/contacts/101`,
    }),
  ],
  "privacy/privacy-page#privacyPage": (v, f) => [
    v({ ctx: f.ctx, base: BASE, canDownloadWorkspace: true, canManagePeople: true }),
    v({ ctx: f.ctx, base: BASE, canDownloadWorkspace: false, canManagePeople: false }),
  ],

  // records
  "records/autolink.raw#autolink": (v, f) => [v(f.s), v(`see https://example.com/${f.s} and ${f.s}`)],
  "records/deals-section#dealsSection": (v, f) => [
    v([f.deal("open")], BASE, `${BASE}/deals/new?companyId=201`, `${BASE}/deals?companyId=201`, 7),
    v([], BASE, null, `${BASE}/deals?companyId=201`, 0),
  ],
  "records/duplicate-warning#duplicateWarning": (v, f) => [
    v({ ...f.form, duplicate: { message: f.s, href: `${BASE}/contacts/101?x=${f.s}`, name: f.s } }, f.s),
    v(f.form, "Create anyway"),
  ],
  "records/quick-add-form#quickAddCreated": (v, f) =>
    f.kinds.map((k) => v(k.view, html`<tr id="row"></tr>`, html`<form id="quick-add"></form>`, NONCE)),
  "records/quick-add-form#quickAddForm": (v, f) => f.kinds.map((k) => v(k.view, BASE, f.form, CSRF, NONCE)),
  "records/quick-add-form#quickAddDisclosure": (v, f) =>
    f.kinds.flatMap((k) => [
      v(k.view, BASE, f.form, CSRF, NONCE),
      v(k.view, BASE, { values: {}, errors: {} }, CSRF, NONCE),
    ]),
  "records/record-actions#recordActions": (v) => [
    v(`${BASE}/contacts/101`, true),
    v(`${BASE}/deals/301`, false),
  ],
  "records/record-edit-row#recordEditRow": (v, f) =>
    f.kinds.map((k) =>
      v(k.view, {
        id: k.record.id,
        form: f.form,
        owners: f.users,
        ctx: f.row,
        csrfToken: CSRF,
        extra: k.extra,
      }),
    ),
  "records/record-form#recordForm": (v, f) =>
    f.kinds.flatMap((k) =>
      [null, k.record.id].map((id) =>
        v(k.view, {
          ctx: f.ctx,
          base: BASE,
          id,
          form: f.form,
          owners: f.users,
          customFields: f.fields,
          extra: k.extra,
        }),
      ),
    ),
  "records/record-list-page#recordListPage": (v, f) =>
    f.kinds.flatMap((k) => [
      v(k.view, { ...f.listPageProps, newForm: f.form, extra: k.extra }),
      v(k.view, {
        ...f.listPageProps,
        row: f.readOnlyRow,
        changed: undefined,
        newForm: f.form,
        extra: k.extra,
      }),
    ]),
  "records/record-results#listTitle": notHtml("a list's title, as text"),
  "records/record-results#listSummary": (v, f) =>
    f.kinds.flatMap((k) => [
      v(k.view, { total: 1, filtered: false, nonce: NONCE }),
      v(k.view, {
        total: 1000,
        moreThan: true,
        filtered: true,
        countHref: `${BASE}/contacts/count?q=${MARKUP}`,
        nonce: NONCE,
      }),
      v(k.view, { total: 1000, moreThan: true, filtered: true, note: MARKUP, nonce: NONCE }),
    ]),
  "records/record-results#liveListCounts": (v, f) =>
    f.kinds.flatMap((k) => [
      v(k.view, { total: 0, filtered: true, nonce: NONCE }),
      v(k.view, { total: 3, filtered: false, nonce: NONCE }),
      v(k.view, {
        total: 1000,
        moreThan: true,
        filtered: true,
        countHref: `${BASE}/contacts/count?q=${MARKUP}`,
        nonce: NONCE,
      }),
    ]),
  "records/record-results#recordResults": (v, f) =>
    f.kinds.flatMap((k) => [
      v(k.view, f.results([k.record])),
      v(k.view, {
        ...f.results([k.record]),
        sorting: {
          name: { href: `${BASE}/${k.view.path}?q=${f.s}&sort=name&order=asc`, state: "descending" },
        },
      }),
      v(k.view, { ...f.results([]), row: f.readOnlyRow }),
    ]),
  "records/record-sections#customFactsSection": (v, f) => [v(f.sections), v(f.readOnlySections)],
  "records/record-sections#recordSections": (v, f) => [v(f.sections), v(f.readOnlySections)],
  "records/record-sections#recordTasks": (v, f) => [v(f.sections), v(f.readOnlySections)],
  "records/tasks-section#tasksSection": (v, f) => [
    v([f.task(false), f.task(true)], f.item, { type: "contact", id: 101 }, f.users, 1),
    v(
      [f.task(false)],
      { ...f.item, canWrite: false, showSubject: false },
      { type: "contact", id: 101 },
      f.users,
      1,
    ),
  ],
  "interactions/activity-fields#activityFields": (v, f) => [
    v({
      form: { values: { direction: f.s, occurredOn: f.s, occurredTime: f.s }, errors: { occurredOn: f.s } },
      idPrefix: "a",
      direction: true,
    }),
    v({ form: f.form, idPrefix: "a", direction: false }),
  ],
  "interactions/activity-edit-page#activityEditPage": (v, f) =>
    ["call", "meeting", f.s].map((kind) =>
      v({
        ctx: f.ctx,
        base: BASE,
        activity: { id: 7, kind },
        form: {
          values: { summary: f.s, direction: f.s, occurredOn: f.s, occurredTime: f.s },
          errors: { summary: f.s, occurredTime: f.s },
        },
        back: { href: `${BASE}/companies/201`, label: f.s, nav: "companies" },
      }),
    ),
  "notes/note-edit-page#noteEditPage": (v, f) => [
    v({
      ctx: f.ctx,
      base: BASE,
      noteId: 7,
      form: { values: { body: f.s }, errors: { body: f.s } },
      back: { href: `${BASE}/companies/201`, label: f.s, nav: "companies" },
    }),
  ],
  "records/timeline-entry#timelineEntry": (v, f) =>
    f.timeline.entries.flatMap((e) => [
      v(e, BASE, { type: "company", id: 201 }, { names: f.timeline.names, clock: f.clock }),
      v(e, BASE, { type: "deal", id: 1 }, { names: f.timeline.names, clock: f.clock }, true),
    ]),
  "records/change-lines#changeLines": (v, f) =>
    f.timeline.entries.map((e) =>
      v(e.subjectType === "contact" ? "deal" : e.subjectType, e.payload, f.timeline.names),
    ),
  "records/timeline-section#timelineEntries": (v, f) => {
    const props = {
      base: BASE,
      subject: { type: "company", id: 201 },
      page: f.timeline,
      nonce: NONCE,
      csrfToken: CSRF,
      canWrite: true,
      history: true,
      clock: f.clock,
    };
    return [v(props), v({ ...props, history: false })];
  },
  "records/timeline-section#timelineNoLongerEmpty": (v) => v(NONCE),
  "records/timeline-section#timelineForms": (v) => [
    v({ base: BASE, subject: { type: "deal", id: 301 }, nonce: NONCE, csrfToken: CSRF }),
    v({
      base: BASE,
      subject: { type: "deal", id: 301 },
      nonce: NONCE,
      csrfToken: CSRF,
      loggedAt: { day: "2026-12-01", time: "09:30" },
    }),
  ],
  "records/timeline-section#timelineSection": (v, f) => {
    const props = {
      base: BASE,
      subject: { type: "contact", id: 101 },
      page: f.timeline,
      nonce: NONCE,
      csrfToken: CSRF,
      canWrite: true,
      history: false,
      clock: f.clock,
    };
    return [
      v(props),
      v({ ...props, history: true }),
      v({ ...props, page: { entries: [], nextBefore: null, names: f.timeline.names } }),
    ];
  },

  // analytics (the nightly results: segment, company, pipeline and stage names are users' text)
  "analytics/insights-page#insightsPage": (v, f) => {
    const props = {
      ctx: f.ctx,
      base: BASE,
      reports: [{ name: "activity", title: f.s }],
      freshness: { rfm: f.s, cohorts: f.s, funnel: f.s, heatmap: f.s, churn: f.s },
      zone: f.s,
      form: f.form,
      months: [f.s],
      owners: [{ value: "1", label: f.s }],
      rfm: {
        cells: [{ r: 5, f: 1, contacts: 3 }],
        segments: [
          { segment: f.s, contacts: 3, href: `${BASE}/segments/new` },
          { segment: f.s, contacts: 1, href: null },
        ],
        chart: {
          id: "insights-rfm",
          spec: hostileChart(f.s, "bar"),
          csvHref: `${BASE}/reports/insights/rfm.csv`,
        },
      },
      cohorts: [
        { cohortMonth: f.s, monthOffset: 0, cohortSize: 4, active: 4 },
        { cohortMonth: f.s, monthOffset: 1, cohortSize: 4, active: 1 },
      ],
      funnel: [
        {
          pipeline: f.s,
          stages: [
            {
              pipelineId: 1,
              pipeline: f.s,
              stageId: 2,
              stage: f.s,
              entered: 3,
              advanced: 1,
              medianDays: 2.5,
            },
          ],
          chart: {
            id: "insights-funnel-1",
            spec: hostileChart(f.s, "bar"),
            csvHref: `${BASE}/reports/insights/f.csv`,
          },
        },
      ],
      heatmap: {
        cells: [{ weekday: 0, hour: 9, interactions: 4 }],
        chart: {
          id: "insights-hours",
          spec: hostileChart(f.s, "bar"),
          csvHref: `${BASE}/reports/insights/h.csv`,
        },
      },
      churn: {
        rows: [{ companyId: 7, name: f.s, recent90: 1, previous90: 5, trend: -0.8, risk: "high" }],
        counts: { high: 1 },
      },
    };
    return [v(props), v({ ...props, emptyText: f.s })];
  },
  "analytics/record-insight#recordInsight": (v, f) => [
    v(
      {
        rfm: { segment: f.s, r: 5, f: 4, m: 3, lastDay: f.s, recencyDays: 2, frequency: 9 },
        churn: { risk: "high", trend: -0.5, recent90: 1, previous90: 2 },
        companyChurn: true,
        rfmFreshness: f.s,
        churnFreshness: f.s,
      },
      BASE,
    ),
    // No RFM freshness: the page names the day of the last interaction itself.
    v({ rfm: { segment: f.s, r: 1, f: 1, m: 1, lastDay: f.s, frequency: 1 } }, BASE),
    v(undefined, BASE),
  ],
  "analytics/shaded-table#shadedTable": (v, f) =>
    v({
      id: "grid",
      caption: f.s,
      corner: f.s,
      columns: [f.s],
      rows: [
        {
          head: f.s,
          cells: [
            { value: 2, text: f.s, title: f.s, href: `${BASE}/x` },
            { value: null, text: f.s },
          ],
        },
      ],
      max: 2,
    }),

  // reports
  "reports/bar-chart#barChart": (v, f) => [
    v("r", hostileChart(f.s, "bar")),
    v("r", { ...hostileChart(f.s, "bar"), series: [] }),
  ],
  "reports/chart-figure#chartFigure": (v, f) => [
    v("r", hostileChart(f.s, "stacked-bar"), `${BASE}/reports/activity/per-week.csv?from=2026-01-01`),
    v("r", { ...hostileChart(f.s, "line"), note: undefined }, `${BASE}/reports/activity/per-week.csv`),
  ],
  "reports/chart-legend#chartLegend": (v, f) => [
    v(hostileChart(f.s, "stacked-bar")),
    v(hostileChart(f.s, "line"), 1),
  ],
  "reports/chart-frame#bands": notHtml("computes where categories sit"),
  "reports/chart-frame#chartFrame": (v, f) =>
    v("r", hostileChart(f.s, "bar"), { max: 1, ticks: [0, 1] }, [100, 200, 300], f.s),
  "reports/chart-frame#formatValue": notHtml("formats a number"),
  "reports/chart-frame#niceScale": notHtml("computes the axis ticks"),
  "reports/chart-frame#seriesColor": notHtml("picks a colour"),
  "reports/chart-frame#svgNumber": notHtml("rounds a number"),
  "reports/chart-frame#svgText": notHtml("replaces characters XML forbids"),
  "reports/chart-frame#yOf": notHtml("computes a position"),
  "reports/data-table#dataTable": (v, f) => [
    v("r", hostileChart(f.s, "bar")),
    v("r", { ...hostileChart(f.s, "bar"), table: { columns: [{ label: f.s }], rows: [] } }),
  ],
  "reports/line-chart#lineChart": (v, f) => v("r", hostileChart(f.s, "line")),
  "reports/report-page#reportPage": (v, f) => {
    const props = {
      ctx: f.ctx,
      base: BASE,
      report: { name: "activity", title: f.s, summary: f.s, usesRange: true },
      reports: [
        { name: "activity", title: f.s },
        { name: "pipeline", title: f.s },
      ],
      form: f.form,
      owners: [{ value: "1", label: f.s }],
      zone: f.s,
      charts: [
        {
          id: "activity-hostile",
          spec: hostileChart(f.s, "stacked-bar"),
          csvHref: `${BASE}/reports/activity/per-week.csv`,
        },
      ],
    };
    return [v(props), v({ ...props, report: { ...props.report, usesRange: false }, charts: undefined })];
  },
  "reports/report-page#reportSection": (v, f) =>
    v({
      ctx: f.ctx,
      base: BASE,
      report: { name: "activity", title: f.s, summary: f.s, usesRange: true },
      reports: [{ name: "activity", title: f.s }],
      form: f.form,
      owners: [{ value: "1", label: f.s }],
      zone: f.s,
      charts: [
        {
          id: "activity-hostile",
          spec: hostileChart(f.s, "bar"),
          csvHref: `${BASE}/reports/activity/per-week.csv`,
        },
      ],
    }),
  "reports/stacked-bar-chart#stackedBarChart": (v, f) => v("r", hostileChart(f.s, "stacked-bar")),

  // segments
  "segments/rule-builder#problemPlace": notHtml("names a rule's place in words"),
  "segments/rule-builder#ruleBuilder": (v, f) => {
    const fields = segmentFields(f);
    const form = {
      match: "any",
      rules: [
        { field: "cf.hostile", op: "in", value: f.s, pair: [f.s, f.s] },
        { field: "owner", op: "in", value: `${f.s}\n1`, pair: ["", ""] },
        {
          match: "all",
          rules: [
            { field: "createdAt", op: "between", value: f.s, pair: [f.s, f.s] },
            { field: f.s, op: f.s, value: f.s, pair: [f.s, f.s] },
          ],
        },
        { field: "tags", op: "contains", value: f.s, pair: ["", ""] },
      ],
    };
    const props = {
      form,
      errors: { "rules.0.value": f.s, "rules.2.rules.1.field": f.s, match: f.s },
      fields,
      tags: [f.s],
      builderAction: `${BASE}/segments/builder`,
      nonce: NONCE,
      maxDepth: 3,
    };
    return [v(props), v({ ...props, errors: {}, maxDepth: 2 })];
  },
  "segments/rule-builder#ruleNumber": notHtml("numbers a rule"),
  "segments/rule-labels#operatorLabel": notHtml("names an operator"),
  "segments/rule-summary#ruleSummary": (v, f) => [
    v(segmentRules(f), segmentFields(f)),
    v({ match: "all", rules: [] }, []),
  ],
  "segments/segment-form-page#segmentFormPage": (v, f) =>
    v({
      ctx: f.ctx,
      title: f.s,
      action: `${BASE}/segments`,
      cancelHref: `${BASE}/segments`,
      name: f.form,
      builder: {
        form: { match: "all", rules: [{ field: "firstName", op: "equals", value: f.s, pair: ["", ""] }] },
        errors: { "rules.0.value": f.s },
        fields: segmentFields(f),
        tags: [f.s],
        builderAction: `${BASE}/segments/builder`,
        nonce: NONCE,
        maxDepth: 3,
      },
      preview: { action: `${BASE}/segments/preview`, nonce: NONCE, base: BASE, problems: [f.s] },
    }),
  "segments/segment-page#segmentPage": (v, f) => {
    const props = {
      ctx: f.ctx,
      base: BASE,
      segment: { id: 5, name: f.s },
      summary: html`<p>${f.s}</p>`,
      canWrite: true,
      total: 3,
      results: html`<p>${f.s}</p>`,
      changed: 2,
    };
    return [
      v(props),
      v({
        ...props,
        canWrite: false,
        total: undefined,
        results: undefined,
        problems: [f.s],
        changed: undefined,
      }),
    ];
  },
  "segments/segment-preview#segmentPreview": (v, f) => [
    v({
      action: `${BASE}/segments/preview`,
      nonce: NONCE,
      base: BASE,
      result: { count: 40, preview: [f.contact] },
    }),
    v({ action: `${BASE}/segments/preview`, nonce: NONCE, base: BASE, problems: [f.s] }),
  ],
  "segments/segment-preview#segmentPreviewContent": (v, f) => [
    v({
      action: `${BASE}/segments/preview`,
      nonce: NONCE,
      base: BASE,
      result: { count: 1, preview: [f.contact] },
    }),
    v({ action: `${BASE}/segments/preview`, nonce: NONCE, base: BASE, result: { count: 0, preview: [] } }),
  ],
  "segments/segments-page#segmentCountCell": (v, f) => [v(12), v(undefined, f.s)],
  "segments/segments-page#segmentsPage": (v, f) => [
    v({
      ctx: f.ctx,
      base: BASE,
      canWrite: true,
      segments: [{ id: 5, name: f.s, rules: segmentRules(f), updatedAt: T0 }],
      fields: segmentFields(f),
    }),
    v({ ctx: f.ctx, base: BASE, canWrite: false, segments: [], fields: [] }),
  ],

  // search
  "search/search-results#searchPage": (v, f) => {
    const results = searchResults(f);
    return [v(f.ctx, BASE, results, f.s), v(f.ctx, BASE, emptySearch(), f.s)];
  },
  "search/search-results#snippet": (v, f) => [
    v([
      { text: f.s, match: true },
      { text: f.s, match: false },
    ]),
  ],
  "search/search-dropdown#searchDropdown": (v, f) => [
    v(BASE, searchResults(f), f.s),
    v(BASE, emptySearch(), f.s),
    v(BASE, emptySearch(), ""),
  ],
  "search/search-results#searchResultsList": (v, f) => [
    v(BASE, searchResults(f), f.s),
    v(BASE, emptySearch(), f.s),
    v(BASE, emptySearch(), ""),
  ],

  // settings
  "settings/analytics-page#analyticsPage": (v, f) => {
    const props = {
      ctx: f.ctx,
      base: BASE,
      schedule: { at: f.s, zone: f.s, next: T0, local: { day: f.s, time: f.s } },
      runs: [
        {
          id: 1,
          runDate: f.s,
          trigger: "nightly",
          status: "failed",
          startedAt: T0,
          endedAt: T0 + 5000,
          jobs: [{ job: f.s, status: "failed", ms: 12 }],
        },
      ],
      jobs: [{ job: f.s, rows: 3, freshness: f.s }],
    };
    return [v(props), v({ ...props, schedule: null, runs: [] })];
  },
  "settings/workspace-page#workspacePage": (v, f) => {
    const money = { currency: f.s, locale: f.s };
    const lists = { currencies: [f.s], locales: [{ value: f.s, label: f.s }] };
    return [
      v({
        ctx: f.ctx,
        base: BASE,
        timeZone: f.s,
        money,
        form: f.form,
        moneyForm: f.form,
        zones: [f.s],
        ...lists,
        saved: true,
        moneySaved: true,
      }),
      v({
        ctx: f.ctx,
        base: BASE,
        timeZone: f.s,
        money,
        form: { values: {}, errors: {} },
        moneyForm: { values: {}, errors: {} },
        zones: [f.s],
        ...lists,
        saved: false,
      }),
    ];
  },
  "settings/audit-page#auditPage": (v, f) => [
    v(f.ctx, BASE, f.timeline, true, f.clock),
    v(f.ctx, BASE, { entries: [], nextBefore: null, names: f.timeline.names }, false, {
      zone: "Asia/Kolkata",
      now: 0,
    }),
  ],
  "settings/fields-page#fieldsPage": (v, f) => {
    const props = {
      ctx: f.ctx,
      base: BASE,
      fields: { contact: f.fields, company: f.fields, deal: [] },
      canEdit: true,
      form: f.form,
      problem: f.s,
    };
    return [v(props), v({ ...props, canEdit: false, problem: undefined })];
  },
  "settings/pipelines-page#pipelinesPage": (v, f) => {
    const props = {
      ctx: f.ctx,
      base: BASE,
      pipelines: f.pipelines,
      dealCounts: new Map([[11, 2]]),
      canEdit: true,
      problem: f.s,
    };
    return [v(props), v({ ...props, canEdit: false, problem: undefined })];
  },
  "settings/settings-nav#settingsNav": (v) => [v(BASE, "users"), v(BASE, "privacy")],
  "settings/webhooks-page#webhooksPage": (v, f) => webhookListRenders(v, f),
  "settings/webhooks-page#webhooksSection": (v, f) => webhookListRenders(v, f),
  "settings/webhooks-page#webhookStatus": notHtml("a plain status word, escaped where it is shown"),
  "settings/webhook-page#webhookPage": (v, f) => {
    const delivery = (ok: boolean) => ({
      id: 3,
      subscriptionId: 5,
      changeId: f.s,
      eventType: f.s,
      attempt: 2,
      attemptedAt: T0,
      statusCode: ok ? 200 : null,
      durationMs: 12,
      ok,
      error: ok ? null : f.s,
      nextAttemptAt: ok ? null : T0,
    });
    const props = {
      ctx: f.ctx,
      base: BASE,
      webhook: hostileWebhook(f, true),
      deliveries: [delivery(true), delivery(false)],
      form: { values: { url: f.s, events: f.s, enabled: f.s }, errors: { url: f.s, events: f.s } },
      problem: f.s,
    };
    return [v(props), v({ ...props, webhook: hostileWebhook(f, false), deliveries: [], problem: undefined })];
  },
  "settings/users-page#usersPage": (v, f) => {
    const invitation = {
      id: 7,
      email: f.s,
      role: "member",
      tokenHash: f.s,
      invitedBy: 1,
      createdAt: T0,
      expiresAt: T0,
      acceptedAt: null,
    };
    const key = (revoked: boolean) => ({
      id: 8,
      name: f.s,
      keyHash: f.s,
      prefix: f.s,
      role: "member",
      createdBy: 1,
      createdAt: T0,
      lastUsedAt: revoked ? T0 : null,
      revokedAt: revoked ? T0 : null,
    });
    const props = {
      ctx: f.ctx,
      base: BASE,
      viewerId: 1,
      users: f.users,
      invitations: [invitation],
      apiKeys: [key(false), key(true)],
      grantable: ["admin", "member", "read-only"],
      inviteForm: f.form,
      keyForm: f.form,
      secret: { label: f.s, value: f.s, isPath: true },
      problem: f.s,
    };
    return [
      v(props),
      v({ ...props, secret: { label: f.s, value: f.s, isPath: false } }),
      v({ ...props, mailOn: true }),
      v({ ...props, grantable: [], secret: undefined, problem: undefined }),
    ];
  },

  // tasks
  "tasks/new-task-form#newTaskForm": (v, f) => [
    v({ base: BASE, nonce: NONCE, csrfToken: CSRF, users: f.users, form: f.form, target: "#today" }),
    v({
      base: BASE,
      nonce: NONCE,
      csrfToken: CSRF,
      users: f.users,
      form: f.form,
      subject: { type: "deal", id: 301 },
      target: "#record-tasks",
    }),
  ],
  "tasks/task-edit-page#taskEditPage": (v, f) => [
    v({
      ctx: f.ctx,
      base: BASE,
      task: { id: 7, title: f.s },
      users: f.users,
      form: f.form,
      back: { href: `${BASE}/contacts/7`, label: f.s },
    }),
    v({
      ctx: f.ctx,
      base: BASE,
      task: { id: 7, title: f.s },
      users: f.users,
      form: f.form,
      back: { href: `${BASE}/tasks`, label: "My tasks", from: "tasks" },
    }),
  ],
  "tasks/task-item#taskToggleForm": (v) => [v(CSRF)],
  "tasks/task-item#taskItem": (v, f) => [
    v(f.task(false), f.item),
    v(f.task(true), f.item),
    v(
      { ...f.task(false), dueAt: null, assigneeName: null, subjectName: null },
      { ...f.item, canWrite: false },
    ),
  ],
  "tasks/tasks-page#taskBuckets": (v, f) => {
    const buckets = {
      overdue: { tasks: [f.task(false)], total: 120 },
      today: { tasks: [], total: 0 },
      upcoming: { tasks: [f.task(false)], total: 1 },
      someday: { tasks: [], total: 0 },
      done: [f.task(true)],
    };
    return [v(buckets, f.item), v(buckets, f.item, { nonce: NONCE })];
  },
  "tasks/tasks-page#taskBucketCounts": (v, f) =>
    v(
      {
        overdue: { tasks: [], total: 2 },
        today: { tasks: [], total: 0 },
        upcoming: { tasks: [], total: 1 },
        someday: { tasks: [], total: 0 },
        done: [f.task(true)],
      },
      NONCE,
    ),
  "tasks/tasks-page#tasksPage": (v, f) => {
    const buckets = {
      // More overdue than shown: the group says how many there are in all.
      overdue: { tasks: [f.task(false)], total: 120 },
      today: { tasks: [f.task(false)], total: 1 },
      upcoming: { tasks: [], total: 0 },
      someday: { tasks: [{ ...f.task(false), dueAt: null }], total: 1 },
      done: [f.task(true)],
    };
    const props = {
      ctx: f.ctx,
      item: f.item,
      buckets,
      users: f.users,
      form: f.form,
      assignee: f.users[1],
      isOwn: false,
    };
    return [v(props), v({ ...props, isOwn: true, item: { ...f.item, canWrite: false } })];
  },
};

function mergeRowValues(rows: unknown) {
  return (rows as { survivor: unknown; duplicate: unknown }[]).map((r) => html`${r.survivor}${r.duplicate}`);
}

/** Views given no text a user wrote: ids, the base path, the nonce and HTML already rendered. */
const NO_USER_TEXT = new Set([
  "components/bulk-bar#bulkMatching",
  "layouts/due-badge#dueBadge",
  "tasks/tasks-page#taskBucketCounts",
  "records/timeline-section#timelineNoLongerEmpty",
  "components/local-time#localTime",
  "ops/ops-charts#opsCharts",
  "tasks/task-item#taskToggleForm",
  "components/list-columns#hiddenColumnsStyle",
  "components/select-cell.raw#selectHeader",
  "records/quick-add-form#quickAddCreated",
  "records/record-actions#recordActions",
  "records/timeline-section#timelineForms",
  "settings/settings-nav#settingsNav",
]);

/** Whatever an entry returned (Html, a string, nested lists of them), as one string. */
function flatten(value: unknown): string {
  if (value === null || value === undefined || typeof value === "boolean") return "";
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(flatten).join("\n");
  return String(value);
}

/** Every view module (the .ts files under views/ but tests, html.ts and the assets), keyed by its path under views/ without the extension. */
async function viewModules(): Promise<{ key: string; exports: Record<string, unknown> }[]> {
  const files = [...new Bun.Glob("views/**/*.{ts,tsx}").scanSync({ cwd: ROOT })]
    .filter(
      (file) => !file.endsWith(".test.ts") && file !== "views/html.ts" && !file.startsWith("views/assets/"),
    )
    .sort();
  return Promise.all(
    files.map(async (file) => ({
      key: file.slice("views/".length).replace(/\.tsx?$/, ""),
      exports: (await import(join(ROOT, file))) as Record<string, unknown>,
    })),
  );
}

const MODULES = await viewModules();

/** Every kind's view (CONTACT_VIEW…): the generic record views are rendered with each, so a new kind is covered too. */
const KIND_VIEWS = MODULES.flatMap((m) => Object.values(m.exports)).filter(
  (value): value is KindView =>
    typeof value === "object" &&
    value !== null &&
    typeof (value as KindView).type === "string" &&
    typeof (value as KindView).path === "string" &&
    typeof (value as KindView).row === "function",
);

describe("every view, with hostile text in every field", () => {
  it("finds the kinds' views", () => {
    expect(KIND_VIEWS.map((view) => view.type).sort()).toEqual(["company", "contact", "deal"]);
  });

  it("has an entry for every exported function of every view module, and none for functions that are gone", () => {
    const exported = MODULES.flatMap(({ key, exports }) =>
      Object.entries(exports)
        .filter(([, value]) => typeof value === "function")
        .map(([name]) => `${key}#${name}`),
    );
    const missing = exported.filter((name) => !(name in VIEWS));
    const stale = Object.keys(VIEWS).filter((name) => !exported.includes(name));
    expect({ missing, stale }).toEqual({ missing: [], stale: [] });
  });

  for (const [mode, hostile] of Object.entries(HOSTILE)) {
    it(`puts nothing of the ${mode} strings into the markup`, () => {
      const f = hostileProps(hostile, KIND_VIEWS);
      const problems: string[] = [];
      let rendered = 0;
      let entries = 0;
      for (const { key, exports } of MODULES) {
        for (const [name, view] of Object.entries(exports as Record<string, View>)) {
          const entry = VIEWS[`${key}#${name}`];
          if (typeof view !== "function" || typeof entry !== "function") continue;
          entries++;
          let output: string;
          try {
            output = flatten(entry(view, f));
          } catch (error) {
            problems.push(`${key}#${name} threw: ${(error as Error).message}`);
            continue;
          }
          rendered++;
          for (const problem of injections(output)) problems.push(`${key}#${name}: ${problem}`);
          const shown = output.includes(SHOWN) || output.includes(SHOWN_IN_URL);
          if (hostile === MARKUP && !shown && !NO_USER_TEXT.has(`${key}#${name}`)) {
            problems.push(
              `${key}#${name}: shows none of the hostile text (an entry that misses its fields?)`,
            );
          }
        }
      }
      expect([...new Set(problems)]).toEqual([]);
      expect(rendered).toBe(entries);
      expect(rendered).toBeGreaterThan(0);
    });
  }

  it("catches what it looks for", () => {
    expect(injections(`<p>${MARKUP}</p>`)).toContain("a <script> element");
    expect(injections(`<p title="${MARKUP.slice(MARKUP.indexOf('"onmouseover'))}">`)).toContain(
      "an onmouseover attribute on <p>",
    );
    expect(injections(`<p title='${MARKUP.slice(MARKUP.indexOf("' onfocus"))}'>`)).toContain(
      "an onfocus attribute on <p>",
    );
    expect(injections(`<p title=${Bun.escapeHTML(MARKUP)}>`)).toContain("an onpointerover attribute on <p>");
    expect(injections(`<a href="${JS_URL}">`)).toEqual([`href="${JS_URL}" on <a>`]);
    expect(injections(`<a href=" java&#x73;cript:x">`)).toHaveLength(1);
    expect(injections(`<p>&amp;X1</p>`)).toEqual(["an entity left unescaped"]);
    expect(injections(`<p title="${Bun.escapeHTML(MARKUP)}">${Bun.escapeHTML(MARKUP)}</p>`)).toEqual([]);
  });
});

/** Files that may call escapeHtml: hot templates that escape by hand say so in their name. */
const ESCAPES_BY_HAND = /\.raw\.ts$/;

describe("escaping by hand", () => {
  it("happens only in *.raw.ts files (and views/html.ts, which defines it)", () => {
    const glob = new Bun.Glob("{src,views}/**/*.{ts,tsx}");
    const importers = [...glob.scanSync({ cwd: ROOT })]
      .filter((file) => file !== "views/html.ts" && !ESCAPES_BY_HAND.test(file))
      .filter((file) =>
        /import\s*\{[^}]*\bescapeHtml\b[^}]*\}\s*from/.test(readFileSync(join(ROOT, file), "utf8")),
      )
      .map((file) => relative(ROOT, join(ROOT, file)))
      .sort();
    expect(importers).toEqual([]);
  });
});
