import { toFtsQuery } from "../lists/fts-query.ts";
import type { Shard } from "../tenancy/shard.ts";
import { versionedCache } from "../tenancy/versioned-cache.ts";

export type HitType = "contact" | "company" | "deal" | "note";

/** A stretch of a note's snippet: words that matched the query, or the text around them. */
export interface SnippetPart {
  text: string;
  match: boolean;
}

export interface SearchHit {
  type: HitType;
  id: number;
  /** A note's title is its snippet's plain text. */
  title: string;
  detail: string | null;
  /** For a note: the record it is on. */
  subjectType?: string;
  subjectId?: number;
  /** For a note: the text around the matched words, in parts, so a view marks the matches with its own escaping. */
  snippet?: SnippetPart[];
}

export type SearchResults = Record<HitType, SearchHit[]>;

/** Marks matched words in FTS5's snippets: control characters, so they cannot clash with anything typed in a form. */
const MATCH_START = "\u0002";
const MATCH_END = "\u0003";

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

/**
 * The shown notes' snippets around the matched words, in one statement: snippet() is costly,
 * so it runs only for the notes shown, each looked up by its rowid (what FTS5 plans well)
 * inside the statement, not in a statement of its own (up to 50 more per search).
 */
const NOTE_SNIPPETS = `SELECT shown.value AS id, (SELECT snippet(notes_fts, 0, '${MATCH_START}', '${MATCH_END}', '…', 12)
    FROM notes_fts WHERE notes_fts MATCH ?1 AND rowid = shown.value) AS snippet
  FROM json_each(?2) shown`;

/** Splits a snippet at its markers: each marker starts or ends a matched stretch. */
function snippetParts(marked: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let match = false;
  let from = 0;
  for (let i = 0; i <= marked.length; i++) {
    const char = marked[i];
    if (char !== undefined && char !== MATCH_START && char !== MATCH_END) continue;
    if (i > from) parts.push({ text: marked.slice(from, i), match });
    match = char === MATCH_START;
    from = i + 1;
  }
  return parts;
}

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
    const snippets = new Map<number, string>();
    if (results.note.length > 0) {
      const ids = JSON.stringify(results.note.map((note) => note.id));
      for (const row of shard.statement(NOTE_SNIPPETS).all(fts, ids) as { id: number; snippet: string }[])
        snippets.set(row.id, row.snippet);
    }
    for (const note of results.note) {
      note.snippet = snippetParts(snippets.get(note.id) ?? "");
      note.title = note.snippet.map((part) => part.text).join("");
    }
    return results;
  });
}
