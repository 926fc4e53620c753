import type { Shard } from "../tenancy/shard.ts";
import { toFtsQuery } from "./fts-query.ts";

export type HitType = "contact" | "company" | "deal" | "note";

export interface SearchHit {
  type: HitType;
  id: number;
  title: string;
  detail: string | null;
  /** For a note: the record it is on. */
  subjectType?: string;
  subjectId?: number;
}

export type SearchResults = Record<HitType, SearchHit[]>;

/** Marks matched words in note snippets: control characters, so they cannot clash with anything typed in a form. */
export const MATCH_START = "\u0002";
export const MATCH_END = "\u0003";

const QUERIES: Record<HitType, string> = {
  contact: `SELECT c.id, trim(c.first_name || ' ' || c.last_name) AS title,
      coalesce(c.email, c.title, (SELECT name FROM companies WHERE id = c.company_id)) AS detail
    FROM contacts_fts f JOIN contacts c ON c.id = f.rowid WHERE contacts_fts MATCH ? ORDER BY f.rank LIMIT ?`,
  company: `SELECT co.id, co.name AS title, coalesce(co.domain, co.city) AS detail
    FROM companies_fts f JOIN companies co ON co.id = f.rowid WHERE companies_fts MATCH ? ORDER BY f.rank LIMIT ?`,
  deal: `SELECT d.id, d.title, (SELECT name FROM stages WHERE id = d.stage_id) AS detail
    FROM deals_fts f JOIN deals d ON d.id = f.rowid WHERE deals_fts MATCH ? ORDER BY f.rank LIMIT ?`,
  note: `SELECT n.id, snippet(notes_fts, 0, '${MATCH_START}', '${MATCH_END}', '…', 12) AS title, NULL AS detail,
      n.subject_type AS subjectType, n.subject_id AS subjectId
    FROM notes_fts f JOIN notes n ON n.id = f.rowid WHERE notes_fts MATCH ? ORDER BY f.rank LIMIT ?`,
};

/** Fewer letters than this match too much to rank usefully as you type. */
export const MIN_QUERY_LENGTH = 2;

/**
 * Full-text search over contacts, companies, deals and notes, best matches first (FTS5's
 * bm25 rank), every typed word a prefix. Returns nothing for a query with no searchable words.
 */
export function searchAll(shard: Shard, text: string, perType = 5): SearchResults {
  const empty: SearchResults = { contact: [], company: [], deal: [], note: [] };
  const fts = toFtsQuery(text);
  if (!fts || text.replace(/[^\p{L}\p{N}]/gu, "").length < MIN_QUERY_LENGTH) return empty;
  for (const type of Object.keys(QUERIES) as HitType[]) {
    const rows = shard.statement(QUERIES[type]).all(fts, perType) as Omit<SearchHit, "type">[];
    empty[type] = rows.map((r) => ({ ...r, type }));
  }
  return empty;
}
