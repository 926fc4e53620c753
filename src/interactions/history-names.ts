import { listFields } from "../custom-fields/field-definitions.ts";
import type { CustomFieldEntity } from "../custom-fields/schema.ts";
import type { Shard } from "../tenancy/shard.ts";

/** A custom field as a change line names it: its label now, and its type (to format its values). */
export interface FieldLabel {
  label: string;
  type: string;
}

/**
 * The names a page of history shows instead of the ids its changes logged: users (owners),
 * companies and contacts (a deal's people) as they are now, and each kind's custom fields by
 * key. An id missing from its map is a record or user removed since.
 */
export interface HistoryNames {
  users: Map<number, string>;
  companies: Map<number, string>;
  contacts: Map<number, string>;
  /** Pipeline stages a deal moved between. */
  stages: Map<number, string>;
  /** By subject type, then field key. */
  fields: Map<string, Map<string, FieldLabel>>;
}

// One statement for the whole page (prepared once per open shard: the ids go in as JSON arrays,
// so the SQL never changes with their number).
const NAMES = `SELECT 'user' AS kind, id, name FROM users WHERE id IN (SELECT value FROM json_each(?1))
  UNION ALL SELECT 'company', id, name FROM companies WHERE id IN (SELECT value FROM json_each(?2))
  UNION ALL SELECT 'contact', id, trim(first_name || ' ' || last_name) FROM contacts WHERE id IN (SELECT value FROM json_each(?3))
  UNION ALL SELECT 'stage', id, name FROM stages WHERE id IN (SELECT value FROM json_each(?4))`;

const CUSTOM_ENTITIES = new Set(["contact", "company", "deal"]);

function addId(into: Set<number>, value: unknown): void {
  if (typeof value === "number" && Number.isSafeInteger(value)) into.add(value);
}

/**
 * Resolves the ids in a page of entries' changes (`{changes: {field: [old, new]}}`) in one
 * query, whatever the number of entries; custom field labels come from the per-shard cache of
 * definitions (no query while the workspace is unchanged).
 */
export function historyNames(
  shard: Shard,
  entries: { kind: string; subjectType: string; payload: Record<string, unknown> }[],
): HistoryNames {
  const users = new Set<number>();
  const stages = new Set<number>();
  const companies = new Set<number>();
  const contacts = new Set<number>();
  const entities = new Set<string>();
  for (const e of entries) {
    if (e.kind === "deal.stage_changed") {
      addId(stages, e.payload.fromStageId);
      addId(stages, e.payload.toStageId);
    }
    const changes = e.payload.changes;
    if (!changes || typeof changes !== "object") continue;
    for (const [field, pair] of Object.entries(changes as Record<string, unknown>)) {
      if (!Array.isArray(pair)) continue;
      if (field.startsWith("customFields.")) entities.add(e.subjectType);
      for (const value of pair) {
        if (field === "ownerId") addId(users, value);
        else if (field === "companyId") addId(companies, value);
        else if (field === "contactIds" && Array.isArray(value)) for (const id of value) addId(contacts, id);
      }
    }
  }
  const names: HistoryNames = {
    users: new Map(),
    companies: new Map(),
    contacts: new Map(),
    stages: new Map(),
    fields: new Map(),
  };
  if (users.size + companies.size + contacts.size + stages.size > 0) {
    const rows = shard
      .statement(NAMES)
      .all(
        JSON.stringify([...users]),
        JSON.stringify([...companies]),
        JSON.stringify([...contacts]),
        JSON.stringify([...stages]),
      ) as {
      kind: "user" | "company" | "contact" | "stage";
      id: number;
      name: string;
    }[];
    for (const row of rows) {
      const into = {
        user: names.users,
        company: names.companies,
        contact: names.contacts,
        stage: names.stages,
      };
      into[row.kind].set(row.id, row.name);
    }
  }
  for (const entity of entities) {
    if (!CUSTOM_ENTITIES.has(entity)) continue;
    const labels = new Map<string, FieldLabel>();
    for (const f of listFields(shard, entity as CustomFieldEntity))
      labels.set(f.key, { label: f.label, type: f.type });
    names.fields.set(entity, labels);
  }
  return names;
}
