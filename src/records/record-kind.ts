import type { z } from "zod";
import type { RecordPlural, RecordType } from "../core/record-types.ts";
import type { ParsedCustomValues, WithCustomFields } from "../custom-fields/field-values.ts";
import type { Actor } from "../identity/viewer.ts";
import type { ListPage } from "../lists/page.ts";
import type { Filter } from "../lists/record-filter.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { RecordTable } from "./record-table.ts";

/** What every kind of record has, and what lists, bulk changes and merges read of it. */
export interface KindRecord {
  id: number;
  ownerId: number | null;
  tags: string[];
}

/** What every kind's update takes at least: bulk changes set owners and tags through it. */
export interface KindPatch {
  ownerId?: number | null;
  tags?: string[];
}

/** A kind's plural: its URL segment, list name (saved views, caches), bulk kind and nav entry. */
export type RecordPath = RecordPlural;

/**
 * How a kind's page forms (full page, quick add, inline row) read and write: `F` is a parsed
 * form, `X` what its fields need besides the form (deals: the pipelines, for the stage menu).
 */
export interface RecordForm<R, F, X> {
  /** Reads a submitted form, or throws a ValidationError naming each bad field; `current` is the record being edited. */
  parse(shard: Shard, fields: Record<string, string>, viewerId: number, current: R | null): F;
  /** Creates the record, in one transaction with what the form implies (a company typed by name). */
  create(shard: Shard, actor: Actor, form: F, customFields: ParsedCustomValues): R;
  /** Saves the form over `current`, in one transaction likewise. */
  update(shard: Shard, actor: Actor, current: R, form: F, customFields: ParsedCustomValues): R;
  /** A stored record as form values, for its edit form (deals write the amount the workspace's way). */
  values(record: R, shard: Shard): Record<string, string>;
  /** A new record's form: owned by the viewer, and whatever the query asks (deals: `?contactId=`, `?pipelineId=`). */
  initial(shard: Shard, viewerId: number, query: Record<string, string>): Record<string, string>;
  /** What the fields need besides the form, also given to the list page (its filters). */
  extra(shard: Shard): X;
  /**
   * An existing record the form would create again or turn `current` into (a contact's email, a
   * company's domain), or null. The pages write nothing and warn until the form says `anyway`.
   */
  duplicate?(shard: Shard, form: F, current: R | null): DuplicateHit | null;
}

/** The existing record a form would duplicate, and what it shares with it. */
export interface DuplicateHit {
  id: number;
  /** Its name, for the link to it. */
  name: string;
  /** The form field holding the shared value ("email", "domain"). */
  field: string;
  /** "A contact with this email already exists". */
  message: string;
}

/** The JSON API's side of a kind: its request schemas and its JSON shape (see the OpenAPI document). */
export interface RecordApi<R, C, U> {
  createInput: z.ZodType<C>;
  patchInput: z.ZodType<U>;
  json(record: R): object;
  /**
   * Records as the API answers them, when that needs more than the list's rows (deals: their
   * people): all of a page at once, so a page of 100 costs one more query, not 100.
   */
  complete?(shard: Shard, records: R[]): R[];
  /**
   * What one record answers besides its list row when it is answered alone (get, create,
   * update, a merge's survivor): a contact's `engagement`. Lists leave it out.
   */
  alone?(shard: Shard, record: R): object;
}

/**
 * One kind of record (contact, company, deal), defined once: its services (read, write,
 * delete, each validated and logged), its list (parameters, its own filters, the table they
 * are written for), its page forms, its JSON API and, if it has one, its merge. The list page,
 * quick add, the new and edit forms (in place or full page) and delete
 * (src/records/record-routes.ts), the JSON API (record-api-routes.ts), bulk changes
 * (src/bulk) and merges (src/merge) all run from it; its view half
 * (views/<kind>/<kind>-view.ts: columns, row, filters, form fields) renders it. What only one
 * kind has (the deals' board and stage moves, a company's name suggestions, each kind's own
 * page) stays in that kind's own files.
 *
 * A new record type (a product, a ticket) plugs in the same way:
 * 1. its type in RECORD_TYPES and its plural in RECORD_PLURALS (src/core/record-types.ts);
 *    the subject types, saved-view lists and messages derive from them;
 * 2. in src/<kind>/: its schema, its RecordTable (records/record-table.ts, which gives it
 *    get, list, count and delete), its create and update services, its list parameters;
 * 3. `src/<kind>/<kind>-kind.ts` exporting this definition, and `views/<kind>/<kind>-view.ts`
 *    exporting its RecordView (views/records/record-view.ts) with its row in a `*.raw.ts`;
 * 4. `routes.ts`: `recordRoutes(deps, KIND, VIEW)` plus its own page (GET /:id) and whatever
 *    else only it has; `api-routes.ts`: `recordApiRoutes(KIND, renderCache)`; both mounted by
 *    the composition root (src/app), the API documented in src/api/openapi.ts;
 * 5. bulk changes and saved views: one line in BULK_KINDS (src/bulk/bulk-kinds.ts); merging: a
 *    `merge` part here (a MergeableKind), a `mergeShown` in its view, a merge service that
 *    calls foldDuplicate with what else links to its records, and one line each in MERGE_KINDS
 *    (src/merge/merge-kinds.ts), mergeRoutes and mergeApiRoutes.
 *
 * Lists that are not records of their own reuse a kind's parts instead: a segment is a saved
 * `listParams` of contacts evaluated through the kind's `filter` (off the request path, by the
 * worker pool); an import writes through the kind's `create` and `api.createInput`. Adding a
 * type also needs what SQL cannot derive: a migration (its table, its FTS index and triggers,
 * `custom_fields_entity_check`), its name in the timeline's subject names and search.
 *
 * `P` is its parsed list parameters, `C` and `U` what its create and update services take,
 * `F` its parsed page form and `X` what its forms need besides (see RecordForm).
 */
export interface RecordKind<
  R extends KindRecord = KindRecord,
  P extends object = Record<string, unknown>,
  C = unknown,
  U extends KindPatch = KindPatch,
  F = unknown,
  X = unknown,
> {
  /** The singular: its custom-field entity, its subject type on tasks, notes and the timeline. */
  type: RecordType;
  path: RecordPath;
  /** What a person calls one record: a contact's full name, a company's name, a deal's title. */
  name(record: R): string;

  /** The record with `id` in this workspace, or a 404. */
  get(shard: Shard, id: number): R;
  /** What its list may be filtered and sorted by: the same for the pages, the API, bulk changes and saved views. */
  listParams: z.ZodObject & z.ZodType<P>;
  list(shard: Shard, params: P): ListPage<R>;
  /** How many match, at most `upTo` (the pages count up to a cap; unbounded, it may read every row: in the pool). */
  count(shard: Shard, params: P, upTo?: number): number;
  /** Its filters beyond the shared ones (recordListParams): they key a cached count and make a list "filtered". */
  filters: readonly string[];
  /** Its table (`contacts`), as its list filter names it (`contacts c`, alias `c`), and that filter. */
  // biome-ignore lint/suspicious/noExplicitAny: each kind's row type is its own; only its records come out
  table: RecordTable<R, any>;
  filter(shard: Shard, params: P): Filter;

  create(shard: Shard, actor: Actor, input: WithCustomFields<C>): R;
  /** `now`: when it happens (a merge updates the survivor at the merge's time). */
  update(shard: Shard, actor: Actor, id: number, patch: WithCustomFields<U>, now?: number): R;
  remove(shard: Shard, actor: Actor, id: number): void;
  /** A kind with stages (deals): a bulk change may move its records to another stage. */
  stages?: {
    /** The stage a record is in. */
    of(record: R): number;
    move(shard: Shard, actor: Actor, id: number, stageId: number): void;
    /** Every stage a record may be moved to, for the bulk form's menu. */
    options(shard: Shard): { value: string; label: string }[];
  };

  form: RecordForm<R, F, X>;
  api: RecordApi<R, C, U>;
  /** A kind whose duplicates can be merged (see MergeableKind). */
  merge?: RecordMerge<R>;
}

/** What merging two records of a kind needs to know of it (its service is in src/merge/merge-kinds.ts). */
export interface RecordMerge<R> {
  /** The built-in fields a person chooses between (tags are always combined). */
  fields: readonly string[];
  /** What tells two namesakes apart in the list of candidates (an email, a domain). */
  detail(record: R): string | null;
}

/** A kind whose duplicates can be merged. */
export type MergeableKind<
  R extends KindRecord,
  P extends object = Record<string, unknown>,
  C = unknown,
  U extends KindPatch = KindPatch,
  F = unknown,
  X = unknown,
> = RecordKind<R, P, C, U, F, X> & { merge: RecordMerge<R> };

/** A kind as its pages see it: what its API's create and update take does not matter there. */
export type PageKind<R extends KindRecord, P extends object, F, X> = RecordKind<
  R,
  P,
  unknown,
  KindPatch,
  F,
  X
>;
