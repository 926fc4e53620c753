import type { Operator } from "../segments/segment-rules.ts";

type Sql = [string, (string | number)[]];

const marks = (n: number) => Array.from({ length: n }, () => "?").join(", ");

/**
 * A segment rule over the nightly results, as a condition on `contacts c` (compile-rules.ts):
 * the RFM segment through analytics_rfm (by contact id), the churn risk of the contact's
 * company through analytics_churn (by company id). Only constant SQL here; every value (a
 * segment name or a risk level, allow-listed by the rule's check) is a bound parameter. A
 * contact the run has not scored has no segment: "is not Champions" holds for it, and
 * "is empty". As probes (a few contacts read in order) each contact is looked up by key; as
 * sets (a count) the matching ids are read once through the segment or risk index.
 */
export function analyticsRuleSql(
  kind: "rfmSegment" | "churnRisk",
  op: Operator,
  values: (string | number)[],
  probe: boolean,
): Sql {
  const [table, key, column, subject] =
    kind === "rfmSegment"
      ? ["analytics_rfm", "contact_id", "segment", "c.id"]
      : ["analytics_churn", "company_id", "risk", "+c.company_id"];
  const within = (condition: string, negate = false): string =>
    probe
      ? `${negate ? "NOT " : ""}EXISTS (SELECT 1 FROM ${table} a WHERE a.${key} = ${subject} AND ${condition})`
      : `${subject} ${negate ? "NOT IN" : "IN"} (SELECT a.${key} FROM ${table} a WHERE ${condition})`;
  switch (op) {
    case "equals":
      return [within(`a.${column} = ?`), values.slice(0, 1)];
    case "not_equals":
      return [within(`a.${column} = ?`, true), values.slice(0, 1)];
    case "in":
      return [within(`a.${column} IN (${marks(values.length)})`), values];
    case "is_not_empty":
      return [within("1"), []];
    case "is_empty":
      return [within("1", true), []];
    default:
      throw new Error(`${op} is not an operator of ${kind}`);
  }
}
