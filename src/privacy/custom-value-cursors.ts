import type { Database } from "bun:sqlite";
import { customCsvCell } from "../custom-fields/custom-csv-cell.ts";
import type { FieldDefinition } from "../custom-fields/field-definitions.ts";
import { fromStored, type Stored } from "../custom-fields/field-values.ts";

type StoredRow = Stored & { recordId: number };

/** Values read per field at a time: memory stays flat, and `all()` costs a third of stepping row by row. */
const CHUNK_ROWS = 5_000;

/**
 * A kind's custom values read alongside its table in id order, for the workspace download: per
 * field, a cursor over its primary key (field_id, record_id), read a chunk at a time and moved
 * forward as the rows go by (a merge join). A whole table costs one pass over its values, not a
 * lookup per batch of rows (measured: 1.9 s of lookups for 100,000 contacts with 3 fields).
 * `cellsOf` gives a record's cells, in the fields' order, and must be asked in increasing id order.
 */
export function customValueCursors(
  db: Database,
  fields: FieldDefinition[],
): { cellsOf(recordId: number): (string | number | null)[] } {
  const chunk = db.query(
    `SELECT record_id AS recordId, text_value AS text, num_value AS num FROM custom_values
     WHERE field_id = ? AND record_id > ? ORDER BY record_id LIMIT ${CHUNK_ROWS}`,
  );
  const cursors = fields.map((field) => ({ field, rows: [] as StoredRow[], at: 0, after: -1, done: false }));
  /** The cursor's current value, its next chunk read when the last is used up (null at the end). */
  const head = (cursor: (typeof cursors)[number]): StoredRow | null => {
    if (cursor.at < cursor.rows.length) return cursor.rows[cursor.at] ?? null;
    if (cursor.done) return null;
    cursor.rows = chunk.all(cursor.field.id, cursor.after) as StoredRow[];
    cursor.at = 0;
    cursor.done = cursor.rows.length < CHUNK_ROWS;
    const last = cursor.rows[cursor.rows.length - 1];
    if (last) cursor.after = last.recordId;
    return cursor.rows[0] ?? null;
  };
  return {
    cellsOf(recordId) {
      return cursors.map((cursor) => {
        let row = head(cursor);
        while (row && row.recordId < recordId) {
          cursor.at++;
          row = head(cursor);
        }
        return row && row.recordId === recordId ? customCsvCell(fromStored(cursor.field, row)) : null;
      });
    },
  };
}
