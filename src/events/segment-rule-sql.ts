import { DAY_MS } from "../lists/list-params.ts";
import type { Operator } from "../segments/segment-rules.ts";

type Values = (string | number)[];
type Sql = [string, Values];

/**
 * A segment rule over pushed events of one kind, as a condition on `contacts c`
 * (compile-rules.ts), from contact_engagement (one row per contact and kind: its count
 * and latest time), never the events. As sets the ids are read once from the (kind, last_at,
 * contact_id) index: a range for "in the last N days", the kind's entries for "never"; as
 * probes each contact's row by its key. "Not in the last N days" and "never" include whoever
 * has no row. The kind is a bound parameter like every value.
 */
export function engagementRuleSql(
  eventKind: string,
  op: Operator,
  v: Values,
  now: number,
  probe: boolean,
): Sql {
  const rows = (condition: string, values: Values, negate = false): Sql =>
    probe
      ? [
          `${negate ? "NOT " : ""}EXISTS (SELECT 1 FROM contact_engagement e WHERE e.contact_id = c.id AND e.kind = ?${condition})`,
          [eventKind, ...values],
        ]
      : [
          `c.id ${negate ? "NOT IN" : "IN"} (SELECT e.contact_id FROM contact_engagement e WHERE e.kind = ?${condition})`,
          [eventKind, ...values],
        ];
  switch (op) {
    case "in_last_days":
      return rows(" AND e.last_at >= ?", [now - Number(v[0]) * DAY_MS]);
    case "none_in_last_days":
      return rows(" AND e.last_at >= ?", [now - Number(v[0]) * DAY_MS], true);
    case "never":
      return rows("", [], true);
    case "at_least":
      return rows(" AND e.count >= ?", [Number(v[0])]);
    default:
      throw new Error(`${op} is not an operator of engagement`);
  }
}
