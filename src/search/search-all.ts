import { toFtsQuery } from "../lists/fts-query.ts";
import type { Shard } from "../tenancy/shard.ts";
import { versionedCache } from "../tenancy/versioned-cache.ts";

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

/**
 * How many of the newest matches each kind ranks. A two-letter prefix matches tens of thousands
 * of people in a big workspace, and bm25 over all of them took ~50 ms; ranking only the newest
 * RANK_WINDOW matches (FTS5 walks its doclists in rowid order, newest first with DESC) bounds
 * the cost at well under a millisecond per kind, and is exact whenever fewer records match.
 */
export const RANK_WINDOW = 200;

/** The newest RANK_WINDOW matches of an FTS table, with their bm25 rank. */
const window = (fts: string) =>
  `(SELECT rowid AS id, rank FROM ${fts} WHERE ${fts} MATCH ?1 ORDER BY rowid DESC LIMIT ${RANK_WINDOW})`;

const QUERIES: Record<HitType, string> = {
  contact: `SELECT c.id, trim(c.first_name || ' ' || c.last_name) AS title,
      coalesce(c.email, c.title, (SELECT name FROM companies WHERE id = c.company_id)) AS detail
    FROM ${window("contacts_fts")} f JOIN contacts c ON c.id = f.id ORDER BY f.rank LIMIT ?2`,
  company: `SELECT co.id, co.name AS title, coalesce(co.domain, co.city) AS detail
    FROM ${window("companies_fts")} f JOIN companies co ON co.id = f.id ORDER BY f.rank LIMIT ?2`,
  deal: `SELECT d.id, d.title, (SELECT name FROM stages WHERE id = d.stage_id) AS detail
    FROM ${window("deals_fts")} f JOIN deals d ON d.id = f.id ORDER BY f.rank LIMIT ?2`,
  note: `SELECT n.id, NULL AS title, NULL AS detail, n.subject_type AS subjectType, n.subject_id AS subjectId
    FROM ${window("notes_fts")} f JOIN notes n ON n.id = f.id ORDER BY f.rank LIMIT ?2`,
};

/** A note's snippet around the matched words, computed only for the notes shown (snippet() is costly). */
const NOTE_SNIPPET = `SELECT snippet(notes_fts, 0, '${MATCH_START}', '${MATCH_END}', '…', 12) AS snippet
  FROM notes_fts WHERE notes_fts MATCH ? AND rowid = ?`;

/** Fewer letters than this match too much to rank usefully as you type. */
export const MIN_QUERY_LENGTH = 2;

/**
 * Full-text search over contacts, companies, deals and notes, best matches first (FTS5's
 * bm25 rank among the newest RANK_WINDOW matches), every typed word a prefix. Returns nothing
 * for a query with no searchable words. Results are kept per shard version (any write
 * searches again): the same few letters are typed over and over. Treat them as read-only.
 */
export function searchAll(shard: Shard, text: string, perType = 5): SearchResults {
  const fts = toFtsQuery(text);
  if (!fts || text.replace(/[^\p{L}\p{N}]/gu, "").length < MIN_QUERY_LENGTH) {
    return { contact: [], company: [], deal: [], note: [] };
  }
  return versionedCache(shard, "search", `${perType}:${fts}`, 1024, () => {
    const results: SearchResults = { contact: [], company: [], deal: [], note: [] };
    for (const type of Object.keys(QUERIES) as HitType[]) {
      const rows = shard.statement(QUERIES[type]).all(fts, perType) as Omit<SearchHit, "type">[];
      results[type] = rows.map((r) => ({ ...r, type }));
    }
    for (const note of results.note) {
      note.title = (shard.statement(NOTE_SNIPPET).get(fts, note.id) as { snippet: string }).snippet;
    }
    return results;
  });
}
