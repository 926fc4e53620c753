import type { CsvRecord } from "./csv-parser.ts";
import type { ImportEncoding } from "./detect-format.ts";
import type { ImportMapping } from "./import-mapping.ts";
import { MAX_CELL_CHARS } from "./read-csv.ts";

/** A mapped column: where its cells go. */
export interface MappedColumn {
  index: number;
  header: string;
  /** A built-in field's key, or a custom field's key when `custom`. */
  key: string;
  custom: boolean;
}

/** A row's cells by where they go: non-empty values only, trimmed; and what is wrong with the row as a whole. */
export interface RowValues {
  fields: Map<string, string>;
  custom: Map<string, string>;
  problems: string[];
  /** Every mapped cell is empty. */
  blank: boolean;
}

/** The mapped columns of a mapping; `newKeys` gives the keys of the custom fields the import adds. */
export function mappedColumns(
  columns: string[],
  mapping: ImportMapping,
  newKeys: Map<number, { key: string }>,
): MappedColumn[] {
  const mapped: MappedColumn[] = [];
  mapping.targets.forEach((target, index) => {
    const header = columns[index] ?? `Column ${index + 1}`;
    if (target === "") return;
    if (target === "new") {
      const key = newKeys.get(index)?.key;
      if (key) mapped.push({ index, header, key, custom: true });
    } else if (target.startsWith("cf:")) mapped.push({ index, header, key: target.slice(3), custom: true });
    else mapped.push({ index, header, key: target, custom: false });
  });
  return mapped;
}

const NULL_TEXT = /^null$/i;
const FORMULA_GUARD = /^'[=+\-@\t\r]/;

/**
 * What a record holds for the import. A row is refused as a whole when the file is broken
 * there: a quote that never closes, more cells than the header (with something in them), a
 * mapped cell too long to be a value, or (in a UTF-8 file) bytes that are not UTF-8. Columns
 * left out are not looked at: a broken cell there harms nothing.
 */
export function rowValues(
  record: CsvRecord,
  columns: MappedColumn[],
  options: { headerCells: number; encoding: ImportEncoding; nullAsEmpty: boolean },
): RowValues {
  const problems: string[] = [];
  if (record.unclosedQuote) {
    problems.push(
      `a quote opened on line ${record.unclosedQuote.line} (column ${record.unclosedQuote.column + 1}) never closes, so the rest of the file was read as one cell: close the quote, or double a quote meant as text ("")`,
    );
  }
  if (record.cellCount > options.headerCells) {
    const extra = record.cells.slice(options.headerCells).some((c) => c.trim() !== "");
    if (extra || record.cellCount > options.headerCells + 1000)
      problems.push(
        `has ${record.cellCount.toLocaleString("en-US")} cells, but the header row has ${options.headerCells.toLocaleString("en-US")}: a delimiter in a cell that is not quoted?`,
      );
  }
  const fields = new Map<string, string>();
  const custom = new Map<string, string>();
  for (const column of columns) {
    const raw = record.cells[column.index] ?? "";
    const oversized = record.oversized.find((o) => o.column === column.index);
    if (oversized) {
      problems.push(
        `column "${column.header}" holds ${oversized.length.toLocaleString("en-US")} characters; a value may have at most ${MAX_CELL_CHARS.toLocaleString("en-US")}`,
      );
      continue;
    }
    if (options.encoding === "utf-8" && raw.includes("\uFFFD")) {
      problems.push(
        `column "${column.header}" has bytes that are not valid UTF-8 (the file is read as UTF-8: if it was saved in another encoding, choose it above)`,
      );
      continue;
    }
    let value = raw.trim();
    if (value === "" || (options.nullAsEmpty && NULL_TEXT.test(value))) continue;
    // A CSV export (ours, and spreadsheets') writes text that starts like a formula after a `'`: drop it.
    if (FORMULA_GUARD.test(value)) value = value.slice(1);
    (column.custom ? custom : fields).set(column.key, value);
  }
  return { fields, custom, problems, blank: fields.size === 0 && custom.size === 0 && problems.length === 0 };
}
