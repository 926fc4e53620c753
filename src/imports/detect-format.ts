import { CsvParser, type CsvRecord, isBlank } from "./csv-parser.ts";

/** The encodings an import reads (the names TextDecoder knows them by). */
export const IMPORT_ENCODINGS = ["utf-8", "utf-16le", "utf-16be", "windows-1252"] as const;
export type ImportEncoding = (typeof IMPORT_ENCODINGS)[number];

export const ENCODING_LABELS: Record<ImportEncoding, string> = {
  "utf-8": "UTF-8",
  "utf-16le": "UTF-16 (little-endian)",
  "utf-16be": "UTF-16 (big-endian)",
  "windows-1252": "Windows-1252 / Latin-1",
};

/** The delimiters an import recognises, most likely first. */
export const IMPORT_DELIMITERS = [",", ";", "\t", "|"] as const;

export const DELIMITER_LABELS: Record<string, string> = {
  ",": "Comma (,)",
  ";": "Semicolon (;)",
  "\t": "Tab",
  "|": "Pipe (|)",
};

/**
 * The encoding of a file from its first bytes: a byte order mark says it; UTF-16 without one
 * shows as zero bytes in every other place; text that decodes as UTF-8 is UTF-8, and so is text
 * with real UTF-8 sequences among some broken bytes (its broken rows are reported); anything
 * else is Windows-1252, whose every byte is a character (Latin-1 is its subset).
 */
export function detectEncoding(bytes: Uint8Array): { encoding: ImportEncoding; bom: boolean } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: "utf-8", bom: true };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: "utf-16le", bom: true };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: "utf-16be", bom: true };
  const probe = Math.min(bytes.length, 4096) & ~1;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < probe; i += 2) {
    if (bytes[i] === 0) evenZeros++;
    if (bytes[i + 1] === 0) oddZeros++;
  }
  const pairs = probe / 2;
  if (pairs >= 2 && oddZeros > pairs * 0.3 && evenZeros < pairs * 0.05)
    return { encoding: "utf-16le", bom: false };
  if (pairs >= 2 && evenZeros > pairs * 0.3 && oddZeros < pairs * 0.05)
    return { encoding: "utf-16be", bom: false };
  const text = new TextDecoder("utf-8").decode(withoutCutSequence(bytes));
  let broken = 0;
  let wide = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0xfffd) broken++;
    else if (c > 0x7f) wide++;
  }
  return { encoding: broken === 0 || wide > 0 ? "utf-8" : "windows-1252", bom: false };
}

/** The bytes without a UTF-8 sequence cut off at the end of the sample (it is not an error). */
function withoutCutSequence(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const b = bytes[end - back] as number;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
    if (b >= 0xc0) {
      const needed = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      if (needed > back) end -= back;
    }
    break;
  }
  return bytes.subarray(0, end);
}

/**
 * The delimiter of the first lines of a file: the candidate that appears, outside quotes, the
 * same number of times (and at least once) on most lines; among those, the one appearing most
 * often on the first line. Comma when nothing tells.
 */
export function detectDelimiter(text: string): string {
  const lines = splitLines(text, 30);
  let best = ",";
  let bestScore = 0;
  for (const candidate of IMPORT_DELIMITERS) {
    const counts = lines.map((line) => countOutsideQuotes(line, candidate));
    const first = counts[0] ?? 0;
    if (first === 0) continue;
    const same = counts.filter((n) => n === first).length;
    const score = (same / counts.length) * 1000 + first;
    if (score > bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

/** Up to `max` lines of text, ignoring line breaks inside quotes (the last, maybe cut, is left out). */
function splitLines(text: string, max: number): string[] {
  const lines: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length && lines.length < max; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    else if (!quoted && (c === 10 || c === 13)) {
      if (i > start) lines.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (lines.length === 0 && text.length > 0) lines.push(text);
  return lines;
}

function countOutsideQuotes(line: string, delimiter: string): number {
  let n = 0;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === delimiter) n++;
  }
  return n;
}

/** The first records of a file's beginning: its header, up to `rows` rows, and how many rows it holds in all. */
export function headRecords(
  text: string,
  delimiter: string,
  options: { rows: number; complete: boolean; maxColumns: number; maxCell: number },
): { header: CsvRecord | undefined; rows: CsvRecord[]; count: number } {
  const parser = new CsvParser({ delimiter, maxCell: options.maxCell, maxColumns: options.maxColumns });
  const records: CsvRecord[] = [];
  parser.push(text, records);
  if (options.complete) parser.end(records);
  const nonBlank = records.filter((r) => !isBlank(r));
  const [header, ...rows] = nonBlank;
  return { header, rows: rows.slice(0, options.rows), count: rows.length };
}
