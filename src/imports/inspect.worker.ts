import { ValidationError } from "../core/errors.ts";
import type { RecordType } from "../core/record-types.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import { detectDelimiter, detectEncoding, headRecords, type ImportEncoding } from "./detect-format.ts";
import { storedPath } from "./import-files.ts";
import { MAX_COLUMNS } from "./read-csv.ts";

export interface InspectParams {
  dataDir: string;
  storedFile: string;
  kind: RecordType;
  /** Chosen by the person when the guess was wrong. */
  encoding?: ImportEncoding;
  delimiter?: string;
}

export interface InspectResult {
  encoding: ImportEncoding;
  delimiter: string;
  columns: string[];
  sample: { rows: string[][]; estimatedRows: number; note?: string };
}

/** Whether the bytes hold a UTF-16 byte-order mark (FF FE or FE FF) somewhere: a UTF-16 file cut or joined with another. */
const hasStrayBom = (bytes: Uint8Array) => {
  for (let i = 0; i + 1 < bytes.length; i++)
    if ((bytes[i] === 0xff && bytes[i + 1] === 0xfe) || (bytes[i] === 0xfe && bytes[i + 1] === 0xff))
      return true;
  return false;
};

/** How much of the file is read to recognise it. */
const SAMPLE_BYTES = 1024 * 1024;
const SAMPLE_ROWS = 5;
const SAMPLE_CELL = 80;

const refuse = (message: string) => new ValidationError([{ field: "file", message }]);

/**
 * Reads the beginning of an uploaded file in a worker: its encoding and delimiter (unless the
 * person chose them), its header row and a few rows, and about how many rows it has. A file
 * that cannot be imported is refused here with what is wrong: empty, only a header, a
 * spreadsheet or other binary file, more columns than an import reads.
 */
const inspect: TaskHandler<InspectParams, InspectResult> = async ({ params }) => {
  const file = Bun.file(storedPath(params.dataDir, params.storedFile));
  const size = file.size;
  if (size === 0) throw refuse("the file is empty");
  const bytes = new Uint8Array(await file.slice(0, SAMPLE_BYTES).arrayBuffer());
  const complete = size <= SAMPLE_BYTES;
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04)
    throw refuse("this is a spreadsheet or ZIP file, not CSV: save it as CSV (comma-separated values) first");
  const encoding = params.encoding ?? detectEncoding(bytes).encoding;
  if (!encoding.startsWith("utf-16") && bytes.subarray(0, 4096).includes(0))
    throw refuse("the file holds binary data, not text: save it as CSV first");
  const text = new TextDecoder(encoding).decode(bytes, { stream: !complete });
  if (complete && text.trim() === "") throw refuse("the file is empty (only blank lines)");
  const delimiter = params.delimiter ?? detectDelimiter(text);
  const head = headRecords(text, delimiter, {
    rows: SAMPLE_ROWS,
    complete,
    maxColumns: MAX_COLUMNS + 1,
    maxCell: 200,
  });
  if (!head.header) throw refuse("the first row is longer than 1 MB: this does not look like a CSV file");
  if (head.header.cellCount > MAX_COLUMNS)
    throw refuse(
      `the header row has ${head.header.cellCount.toLocaleString("en-US")} columns; an import reads at most ${MAX_COLUMNS.toLocaleString("en-US")}: remove the columns you do not need`,
    );
  if (head.header.unclosedQuote)
    throw refuse("a quote in the header row never closes: the header must be one line of names");
  if (complete && head.count === 0) throw refuse("the file has a header row but no rows under it");
  const columns = head.header.cells.map((name, i) => name.trim().slice(0, 100) || `Column ${i + 1}`);
  const rows = head.rows.map((r) => columns.map((_, i) => (r.cells[i] ?? "").trim().slice(0, SAMPLE_CELL)));
  const estimatedRows = complete ? head.count : Math.max(1, Math.round((head.count * size) / bytes.length));
  // Read as Windows-1252 because it is not valid UTF-8, with the bytes of a UTF-16 mark inside: say so.
  const note =
    !params.encoding && encoding === "windows-1252" && hasStrayBom(bytes)
      ? "The file is not valid UTF-8 and holds the bytes FF FE or FE FF of a UTF-16 byte-order mark where none belongs: it may be a damaged UTF-16 file, or files in different encodings joined together."
      : undefined;
  return { encoding, delimiter, columns, sample: { rows, estimatedRows, ...(note ? { note } : {}) } };
};

export default inspect;
