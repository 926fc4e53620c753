import type { Shard } from "../tenancy/shard.ts";

/** What a merge moves from the duplicate to the survivor, for the comparison page. */
export interface LinkedCounts {
  /** A company's people (always 0 for a contact). */
  people: number;
  deals: number;
  notes: number;
  tasks: number;
  /** Entries of its own timeline (calls, emails, history). */
  interactions: number;
  /** Events integrations pushed about it (a contact's engagement summed; always 0 for a company). */
  pushedEvents: number;
}

const DEALS = {
  contact: "SELECT count(*) AS n FROM deal_contacts WHERE contact_id = ?",
  company: "SELECT count(*) AS n FROM deals WHERE company_id = ?",
};

/** How much is linked to a contact or company (each an index lookup). */
export function linkedCounts(shard: Shard, type: "contact" | "company", id: number): LinkedCounts {
  const count = (sql: string, ...params: (string | number)[]) =>
    (shard.statement(sql).get(...params) as { n: number }).n;
  const about = (table: "notes" | "tasks" | "interactions") =>
    count(`SELECT count(*) AS n FROM ${table} WHERE subject_type = ? AND subject_id = ?`, type, id);
  return {
    people: type === "company" ? count("SELECT count(*) AS n FROM contacts WHERE company_id = ?", id) : 0,
    deals: count(DEALS[type], id),
    notes: about("notes"),
    tasks: about("tasks"),
    interactions: about("interactions"),
    pushedEvents:
      type === "contact"
        ? count("SELECT coalesce(sum(count), 0) AS n FROM contact_engagement WHERE contact_id = ?", id)
        : 0,
  };
}
