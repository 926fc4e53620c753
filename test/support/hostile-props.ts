/**
 * Props for every view, built from one hostile string `s` (test/views-hostile.test.ts): `s` is
 * in every field a user or a request can fill. Trusted by construction, and so plain: the
 * workspace's base path (`/t/<slug>`, the slug checked by the catalog), the CSP nonce and CSRF
 * token, asset URLs, paths a route builds from the base and numeric ids, currency codes and
 * dates (validated on the way in), and enum values (roles, stage kinds, field types, record
 * types, nav keys).
 */
import type { UserSummary } from "../../src/auth/users.ts";
import type { CompanyRecord } from "../../src/companies/company-record.ts";
import type { ContactRecord } from "../../src/contacts/contact-record.ts";
import type { FieldDefinition } from "../../src/custom-fields/field-definitions.ts";
import type { CustomValues } from "../../src/custom-fields/field-values.ts";
import type { DealRecord } from "../../src/deals/deal-record.ts";
import type { TimelineEntry, TimelinePage } from "../../src/interactions/timeline.ts";
import type { PipelineWithStages } from "../../src/pipelines/pipelines.ts";
import type { StageKind } from "../../src/pipelines/schema.ts";
import type { TaskRecord } from "../../src/tasks/tasks.ts";
import { html } from "../../views/html.ts";
import type { PageContext } from "../../views/layouts/page-context.ts";

export const BASE = "/t/acme";
export const NONCE = "bm9uY2UtdGVzdA";
export const CSRF = "Y3NyZi10ZXN0";
export const ASSETS = {
  css: "/assets/app.css",
  htmx: "/assets/htmx.js",
  hxCsp: "/assets/hx-csp.js",
  app: "/assets/app.js",
  icon: "/assets/favicon.svg",
};
export const T0 = Date.UTC(2026, 5, 15, 11);

/** A record whose every property reads as `s`; its own keys (what Object.entries sees) are `names`. */
function everyField(s: string, names: string[]): Record<string, string> {
  return new Proxy(Object.fromEntries(names.map((n) => [n, s])), {
    get: (target, key) => (typeof key === "string" ? s : Reflect.get(target, key)),
  });
}

const FORM_NAMES = ["name", "email", "title", "tags", "options", "other", "cf.key"];

/** A kind's view half (views/records/record-view.ts), found among the modules' exports. */
export interface KindView {
  type: string;
  path: string;
  row: (...args: never[]) => unknown;
  mergeShown?: object;
}

/** Everything the entries build props from, with `s` in every user-fillable string; each kind with a record of its own. */
export function hostileProps(s: string, kindViews: KindView[]) {
  const ctx: PageContext = {
    nonce: NONCE,
    csrfToken: CSRF,
    assets: ASSETS,
    workspace: { slug: "acme", name: s },
    viewer: { name: s, role: s },
    dueTasks: 3,
  };
  const bareCtx: PageContext = { nonce: NONCE, csrfToken: CSRF, assets: ASSETS };
  const form = { values: everyField(s, FORM_NAMES), errors: everyField(s, FORM_NAMES) };
  const users: UserSummary[] = [
    { id: 1, name: s, email: s, role: "owner" },
    { id: 2, name: s, email: s, role: "member" },
  ];
  const types = ["text", "number", "date", "select", "multiselect", "checkbox"] as const;
  const fields: FieldDefinition[] = types.map((type, i) => ({
    id: i + 1,
    entity: "contact",
    key: `${s}${i}`,
    label: s,
    type,
    options: [s, `${s}2`],
    position: i,
  }));
  const customValue = (f: FieldDefinition) =>
    f.type === "number" ? 12.5 : f.type === "checkbox" ? true : f.type === "multiselect" ? [s, s] : s;
  const values: CustomValues = Object.fromEntries(fields.map((f) => [f.key, customValue(f)]));
  const custom = { fields, values: new Map([[101, values]]) };
  const row = { base: BASE, nonce: NONCE, canWrite: true, custom };
  const readOnlyRow = { base: BASE, nonce: NONCE, canWrite: false };
  const contact: ContactRecord = {
    id: 101,
    firstName: s,
    lastName: s,
    email: s,
    phone: s,
    title: s,
    companyId: 201,
    companyName: s,
    ownerId: 1,
    ownerName: s,
    tags: [s, "vip"],
    externalId: s,
    createdAt: T0,
    updatedAt: T0,
  };
  const company: CompanyRecord = {
    id: 201,
    name: s,
    domain: s,
    phone: s,
    city: s,
    country: s,
    ownerId: 1,
    ownerName: s,
    contactCount: 12,
    tags: [s],
    externalId: s,
    createdAt: T0,
    updatedAt: T0,
  };
  const stage = (id: number, kind: StageKind, position: number) => ({
    id,
    pipelineId: 1,
    name: s,
    position,
    probability: 50,
    kind,
    createdAt: T0,
  });
  const stages = [stage(11, "open", 0), stage(12, "open", 1), stage(13, "won", 2), stage(14, "lost", 3)];
  const pipeline: PipelineWithStages = { id: 1, name: s, position: 0, createdAt: T0, updatedAt: T0, stages };
  const pipelines = [pipeline, { ...pipeline, id: 2 }];
  const deal = (status: StageKind): DealRecord => ({
    id: 301,
    title: s,
    amountCents: 1_250_000,
    currency: "EUR",
    // Checked as a day on the way in, but no constraint in the file holds it there: escaped anyway.
    expectedCloseOn: s,
    pipelineId: 1,
    pipelineName: s,
    stageId: 11,
    stageName: s,
    stageProbability: 50,
    companyId: 201,
    companyName: s,
    ownerId: 1,
    ownerName: s,
    status,
    lostReason: s,
    closedAt: null,
    stageEnteredAt: T0,
    tags: [s],
    externalId: s,
    createdAt: T0,
    updatedAt: T0,
  });
  const task = (done: boolean): TaskRecord => ({
    id: 401,
    title: s,
    dueAt: T0,
    assigneeId: 1,
    assigneeName: s,
    subjectType: "contact",
    subjectId: 101,
    subjectName: s,
    completedAt: done ? T0 : null,
    createdAt: T0,
    updatedAt: T0,
  });
  const item = {
    base: BASE,
    nonce: NONCE,
    csrfToken: CSRF,
    canWrite: true,
    zone: "Pacific/Auckland",
    now: T0 + 1,
    showSubject: true,
  };
  const entry = (
    kind: string,
    payload: Record<string, unknown>,
    more: Partial<TimelineEntry> = {},
  ): TimelineEntry => ({
    id: 501,
    occurredAt: T0,
    kind,
    subjectType: "company",
    subjectId: 201,
    subjectName: s,
    actorType: "user",
    actorName: s,
    payload,
    noteBody: s,
    ...more,
  });
  const entries: TimelineEntry[] = [
    entry("call", { direction: s, summary: s }),
    entry("meeting", { summary: s }),
    entry("email", { direction: s, summary: s }),
    entry("note.created", {}),
    entry("note.created", {}, { noteBody: null, subjectName: null }),
    entry("task.completed", { title: s }, { subjectType: "task" }),
    entry("deal.stage_changed", { from: s, to: s }, { subjectType: "deal" }),
    entry("deal.stage_changed", { fromStageId: 4, toStageId: 99, from: s, to: s }, { subjectType: "deal" }),
    entry("deal.won", {}),
    entry("deal.lost", { reason: s }),
    entry("contact.erased", {}, { actorType: "system", actorName: null }),
    entry("contact.updated", { changes: { [s]: [s, [s, s]], email: [null, s] } }),
    entry("company.merged", { name: s }),
    entry("deal.created", { name: s }),
    entry("contact.deleted", { name: s }, { actorType: "api_key", actorName: null }),
    entry(s, { name: s }),
    entry("deal.updated", {
      changes: {
        ownerId: [1, 99],
        companyId: [2, null],
        contactIds: [[3, 98], []],
        [`customFields.${s}`]: [true, s],
      },
    }),
  ];
  const names = {
    users: new Map([[1, s]]),
    companies: new Map([[2, s]]),
    contacts: new Map([[3, s]]),
    stages: new Map([[4, s]]),
    fields: new Map([["deal", new Map([[s, { label: s, type: "checkbox" }]])]]),
  };
  const timeline: TimelinePage = { entries, nextBefore: 500, names };
  const clock = { zone: "UTC", now: T0 };
  const savedViews = {
    listHref: `${BASE}/contacts`,
    viewsHref: `${BASE}/views`,
    views: [
      { id: 1, name: s, href: `?q=${s}`, shared: true, ownerId: 2, ownerName: s },
      { id: 2, name: s, href: s, shared: true, ownerId: 1, ownerName: s },
      { id: 3, name: s, href: `?tag=${s}`, shared: false, ownerId: 1, ownerName: s },
    ],
    current: s,
    viewerId: 1,
    isAdmin: true,
    csrfToken: CSRF,
  };
  const columns = {
    choices: [
      { key: s, label: s },
      { key: "email", label: s },
    ],
    visible: ["email"],
  };
  const options = [
    { value: s, label: s },
    { value: "", label: s },
  ];
  const bulk = {
    action: `${BASE}/contacts/bulk`,
    csrfToken: CSRF,
    filterQuery: s,
    total: 3,
    plural: s,
    owners: options,
    stages: options,
  };
  const saveView = { viewsHref: `${BASE}/views`, list: s, query: s, csrfToken: CSRF, canShare: true };
  const listPage = <R>(rows: R[]) => ({ rows, nextCursor: s, prevCursor: s });
  const listPageProps = {
    ctx,
    row,
    results: html`<section id="results"></section>`,
    filters: everyField(s, ["q", "tag", "ownerId", "cf", "sort", "order", "createdFrom"]),
    owners: users,
    customFields: fields,
    columns,
    savedViews,
    changed: 2,
    tags: [s],
  };
  const results = (rows: unknown[]) => ({
    page: listPage(rows),
    total: 3,
    filtered: true,
    href: `${BASE}/contacts?q=${s}`,
    row,
    bulk,
    saveView,
    columns,
  });
  const mergeParty = (id: number) => ({ id, name: s, href: `${BASE}/contacts/${id}`, tags: [s] });
  const timelineProps = {
    base: BASE,
    subject: { type: "contact" as const, id: 101 },
    page: timeline,
    nonce: NONCE,
    csrfToken: CSRF,
    canWrite: true,
    history: false,
    clock,
  };
  const sections = {
    custom: { fields, values },
    tasks: { tasks: [task(false), task(true)], item, users, viewerId: 1 },
    timeline: timelineProps,
    deals: {
      rows: [deal("open")],
      newHref: `${BASE}/deals/new?contactId=101`,
      allHref: `${BASE}/deals?contactId=101`,
      total: 4,
    },
  };
  const readOnlySections = {
    custom: { fields: [], values: {} },
    tasks: { tasks: [], item: { ...item, canWrite: false }, users, viewerId: 1 },
    timeline: {
      ...timelineProps,
      canWrite: false,
      history: true,
      page: { entries: [], nextBefore: null, names },
    },
    deals: { rows: [], newHref: null, allHref: `${BASE}/deals?contactId=101`, total: 0 },
  };
  const records: Record<string, { id: number }> = { contact, company, deal: deal("open") };
  const extras: Record<string, unknown> = { deal: { pipelines } };
  const kinds = kindViews.map((view) => {
    const record = records[view.type];
    if (!record) throw new Error(`no hostile record for the ${view.type} kind: add one to fixtures()`);
    return { view, record, extra: extras[view.type] };
  });
  return {
    s,
    ctx,
    bareCtx,
    form,
    users,
    fields,
    values,
    custom,
    row,
    readOnlyRow,
    contact,
    company,
    stages,
    pipeline,
    pipelines,
    deal,
    task,
    item,
    timeline,
    clock,
    savedViews,
    columns,
    options,
    bulk,
    saveView,
    listPage,
    listPageProps,
    results,
    mergeParty,
    sections,
    readOnlySections,
    kinds,
  };
}

export type HostileProps = ReturnType<typeof hostileProps>;

/** Search hits of every kind, a note with a highlighted snippet. */
export function searchResults(f: HostileProps) {
  const hit = (type: string, id: number) => ({ type, id, title: f.s, detail: f.s });
  return {
    contact: [hit("contact", 101)],
    company: [hit("company", 201), { ...hit("company", 202), detail: null }],
    deal: [hit("deal", 301)],
    note: [
      {
        ...hit("note", 601),
        detail: null,
        subjectType: "company",
        subjectId: 201,
        snippet: [
          { text: f.s, match: false },
          { text: f.s, match: true },
        ],
      },
    ],
  };
}

/** No hits at all. */
export function emptySearch() {
  return { contact: [], company: [], deal: [], note: [] };
}
