import { BadRequestError } from "../core/errors.ts";
import type { SortSpec } from "../lists/keyset.ts";
import { DAY_MS, dayStart, isCalendarDay } from "../lists/list-params.ts";
import type { Filter } from "../lists/record-filter.ts";
import type { Shard } from "../tenancy/shard.ts";
import { type FieldDefinition, listFields } from "./field-definitions.ts";
import type { CustomFieldEntity } from "./schema.ts";

function field(shard: Shard, entity: CustomFieldEntity, key: string, param: string): FieldDefinition {
  const found = listFields(shard, entity).find((f) => f.key === key);
  if (!found) throw new BadRequestError(`"${key}" is not a custom field of this workspace`, param);
  return found;
}

/**
 * The SQL condition for a `cf` filter. The field is looked up by key and referred to by its
 * id (an integer from our own table): neither its key nor its label ever reaches SQL text.
 */
export function customFilter(
  shard: Shard,
  entity: CustomFieldEntity,
  alias: string,
  param: string | undefined,
): Filter {
  if (!param) return { conditions: [], params: [] };
  const at = param.indexOf(":");
  const f = field(shard, entity, param.slice(0, at), "cf");
  const value = param.slice(at + 1);
  const inField = (condition: string) =>
    `${alias}.id IN (SELECT record_id FROM custom_values WHERE field_id = ? AND ${condition})`;
  switch (f.type) {
    case "text":
      return { conditions: [inField("text_value = ? COLLATE NOCASE")], params: [f.id, value] };
    case "select":
      return { conditions: [inField("text_value = ?")], params: [f.id, value] };
    case "multiselect":
      return {
        conditions: [inField("EXISTS (SELECT 1 FROM json_each(text_value) WHERE value = ?)")],
        params: [f.id, value],
      };
    case "number": {
      const n = value.trim() === "" ? Number.NaN : Number(value);
      if (!Number.isFinite(n)) throw new BadRequestError(`cf: ${f.key} is a number field`, "cf");
      return { conditions: [inField("num_value = ?")], params: [f.id, n] };
    }
    case "date": {
      if (!isCalendarDay(value)) throw new BadRequestError(`cf: ${f.key} is a date field (YYYY-MM-DD)`, "cf");
      return { conditions: [inField("num_value = ?")], params: [f.id, dayStart(value) / DAY_MS] };
    }
    case "checkbox": {
      if (value !== "true" && value !== "false")
        throw new BadRequestError(`cf: ${f.key} is true or false`, "cf");
      const ticked = inField("num_value = 1");
      return { conditions: [value === "true" ? ticked : `NOT ${ticked}`], params: [f.id] };
    }
  }
}

export interface CustomSort {
  spec: SortSpec;
  /** The extra column the list must select (as cfSort) for the next cursor. */
  select: string;
}

/**
 * The sort spec for `sort=cf.<key>`: the field's value (records without one first, as the
 * lowest), then the id. A sort by a custom field reads every row: it is there for small
 * lists and exports, not for page 2,000 of 100,000.
 */
export function customSort(shard: Shard, entity: CustomFieldEntity, alias: string, sort: string): CustomSort {
  const f = field(shard, entity, sort.slice(3), "sort");
  const numeric = f.type === "number" || f.type === "date" || f.type === "checkbox";
  const expression = `ifnull((SELECT ${numeric ? "num_value" : "text_value"} FROM custom_values WHERE field_id = ${Number(f.id)} AND record_id = ${alias}.id), ${numeric ? "-1e300" : "''"})`;
  return {
    spec: {
      columns: [expression, `${alias}.id`],
      keyOf: (r) => [r.cfSort as number | string, r.id as number],
    },
    select: `, ${expression} AS cfSort`,
  };
}

/** A list's sort: one of its built-in sorts, or `cf.<key>` for a custom field. */
export function listSort(
  shard: Shard,
  entity: CustomFieldEntity,
  alias: string,
  sorts: Record<string, SortSpec>,
  sort: string,
): CustomSort {
  const builtIn = sorts[sort];
  if (builtIn) return { spec: builtIn, select: "" };
  return customSort(shard, entity, alias, sort);
}

/** A list's filter with its `cf` condition added. */
export function withCustomFilter(
  shard: Shard,
  entity: CustomFieldEntity,
  alias: string,
  filter: Filter,
  param: string | undefined,
): Filter {
  const custom = customFilter(shard, entity, alias, param);
  return {
    conditions: [...filter.conditions, ...custom.conditions],
    params: [...filter.params, ...custom.params],
  };
}
