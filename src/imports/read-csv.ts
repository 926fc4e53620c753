import { CsvParser, type CsvRecord } from "./csv-parser.ts";
import type { ImportEncoding } from "./detect-format.ts";

/** What one cell keeps, at most: longer cells are refused, not stored. */
export const MAX_CELL_CHARS = 100_000;
/** Columns an import reads, at most. */
export const MAX_COLUMNS = 1000;

export interface CsvBatch {
  records: CsvRecord[];
  /** Bytes of the file read so far. */
  bytesRead: number;
}

/**
 * The records of a CSV file, read as a stream in batches of a few hundred: the file never sits
 * in memory whole. `encoding` decodes it (a byte order mark is dropped); bytes that are not
 * valid in it become U+FFFD, which the import reports per row.
 */
export async function* readCsv(
  path: string,
  format: { encoding: ImportEncoding; delimiter: string },
  options: { chunkBytes?: number } = {},
): AsyncGenerator<CsvBatch> {
  const decoder = new TextDecoder(format.encoding);
  const parser = new CsvParser({
    delimiter: format.delimiter,
    maxCell: MAX_CELL_CHARS,
    maxColumns: MAX_COLUMNS + 1,
  });
  const file = Bun.file(path);
  const size = file.size;
  const chunkBytes = options.chunkBytes ?? 256 * 1024;
  let offset = 0;
  // Read by slices rather than file.stream(): each slice is one read of a known size, and a
  // consumer that stops early (a cancel) leaves nothing open.
  while (offset < size) {
    const bytes = new Uint8Array(await file.slice(offset, offset + chunkBytes).arrayBuffer());
    offset += bytes.byteLength;
    if (bytes.byteLength === 0) break;
    const records: CsvRecord[] = [];
    parser.push(decoder.decode(bytes, { stream: true }), records);
    if (offset >= size) {
      parser.push(decoder.decode(), records);
      parser.end(records);
    }
    if (records.length) yield { records, bytesRead: offset };
  }
}
