/** One record of a CSV file as the parser read it. */
export interface CsvRecord {
  /** Its place among the file's records, the header being row 1 (what a spreadsheet shows). */
  row: number;
  /** The text line it starts on (differs from `row` after cells with line breaks). */
  line: number;
  /** Its cells, at most `maxColumns`; a cell longer than `maxCell` is cut there (see `oversized`). */
  cells: string[];
  /** How many cells it really had. */
  cellCount: number;
  /** Columns (0-based) whose cell was longer than `maxCell`, with the length it had. */
  oversized: { column: number; length: number }[];
  /** The file ended inside a quoted cell that opened on this line, in this column: it never closed. */
  unclosedQuote?: { line: number; column: number };
}

export interface CsvParserOptions {
  delimiter: string;
  /** Characters a cell keeps; the rest is counted, not kept (a 5 MB cell costs no 5 MB). */
  maxCell: number;
  /** Cells a record keeps; the rest are counted, not kept. */
  maxColumns: number;
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted cell: the cell's end, or the first half of `""`. */
  QuoteInQuoted,
}

/**
 * An RFC 4180 reader fed text in pieces of any size (a cell or a line break may be split
 * between two pieces). It keeps its state between pieces, so its work is linear in the text
 * whatever the cells hold, and its memory is bounded by `maxCell` × `maxColumns`. It is lenient
 * where files in the wild are: CR, LF or CRLF line ends; a quote in the middle of an unquoted
 * cell is kept as text; text after a closing quote is kept too.
 */
export class CsvParser {
  private readonly delimiter: number;
  private state = State.FieldStart;
  private cell = "";
  private cellLength = 0;
  private cells: string[] = [];
  private cellCount = 0;
  private oversized: { column: number; length: number }[] = [];
  private row = 0;
  private line = 1;
  private recordLine = 1;
  private quoteLine = 1;
  /** The previous piece ended with CR: a LF starting the next one belongs to it. */
  private skipLf = false;
  /** Something of the current record has been read (a blank line is still a record). */
  private inRecord = false;

  constructor(private readonly options: CsvParserOptions) {
    if (options.delimiter.length !== 1) throw new Error("the delimiter is one character");
    this.delimiter = options.delimiter.charCodeAt(0);
  }

  /** Reads `text`, appending each record it completes to `out`. */
  push(text: string, out: CsvRecord[]): void {
    const n = text.length;
    const delimiter = this.delimiter;
    let i = 0;
    if (this.skipLf) {
      this.skipLf = false;
      if (n > 0 && text.charCodeAt(0) === LF) i = 1;
    }
    while (i < n) {
      switch (this.state) {
        case State.FieldStart: {
          this.inRecord = true;
          if (text.charCodeAt(i) === QUOTE) {
            this.state = State.Quoted;
            this.quoteLine = this.line;
            i++;
            break;
          }
          this.state = State.Unquoted;
          break;
        }
        case State.Unquoted: {
          let j = i;
          let c = 0;
          while (j < n) {
            c = text.charCodeAt(j);
            if (c === delimiter || c === LF || c === CR) break;
            j++;
          }
          if (j > i) this.append(text, i, j);
          if (j === n) {
            i = n;
            break;
          }
          i = this.afterSeparator(text, j, c, out);
          break;
        }
        case State.Quoted: {
          const j = text.indexOf('"', i);
          const end = j === -1 ? n : j;
          this.countLines(text, i, end);
          if (end > i) this.append(text, i, end);
          if (j === -1) {
            i = n;
            break;
          }
          this.state = State.QuoteInQuoted;
          i = j + 1;
          break;
        }
        case State.QuoteInQuoted: {
          const c = text.charCodeAt(i);
          if (c === QUOTE) {
            this.append('"', 0, 1);
            this.state = State.Quoted;
            i++;
          } else if (c === delimiter || c === LF || c === CR) {
            i = this.afterSeparator(text, i, c, out);
          } else {
            // `"ab"c`: not RFC 4180; keep what follows as text, as spreadsheets do.
            this.state = State.Unquoted;
          }
          break;
        }
      }
    }
  }

  /** The text ended: completes the last record (one without a final line break, or an unclosed quote). */
  end(out: CsvRecord[]): void {
    if (this.state === State.Quoted) {
      const column = this.cellCount;
      this.endCell();
      this.endRecord(out, { line: this.quoteLine, column });
    } else if (this.inRecord) {
      this.endCell();
      this.endRecord(out);
    }
  }

  /** Handles a delimiter or line break at `j`; returns where reading goes on. */
  private afterSeparator(text: string, j: number, c: number, out: CsvRecord[]): number {
    this.endCell();
    if (c === this.delimiter) {
      this.state = State.FieldStart;
      this.inRecord = true;
      return j + 1;
    }
    this.endRecord(out);
    this.line++;
    if (c === CR) {
      if (j + 1 === text.length) {
        this.skipLf = true;
        return j + 1;
      }
      if (text.charCodeAt(j + 1) === LF) return j + 2;
    }
    return j + 1;
  }

  private append(text: string, from: number, to: number): void {
    const length = to - from;
    const room = this.options.maxCell - this.cellLength;
    if (room > 0) this.cell += length <= room ? text.slice(from, to) : text.slice(from, from + room);
    this.cellLength += length;
  }

  private countLines(text: string, from: number, to: number): void {
    let k = text.indexOf("\n", from);
    while (k !== -1 && k < to) {
      this.line++;
      k = text.indexOf("\n", k + 1);
    }
  }

  private endCell(): void {
    if (this.cellLength > this.options.maxCell)
      this.oversized.push({ column: this.cellCount, length: this.cellLength });
    if (this.cells.length < this.options.maxColumns) this.cells.push(this.cell);
    this.cellCount++;
    this.cell = "";
    this.cellLength = 0;
    this.state = State.FieldStart;
  }

  private endRecord(out: CsvRecord[], unclosedQuote?: { line: number; column: number }): void {
    this.row++;
    const record: CsvRecord = {
      row: this.row,
      line: this.recordLine,
      cells: this.cells,
      cellCount: this.cellCount,
      oversized: this.oversized,
    };
    if (unclosedQuote) record.unclosedQuote = unclosedQuote;
    out.push(record);
    this.cells = [];
    this.cellCount = 0;
    this.oversized = [];
    this.inRecord = false;
    this.state = State.FieldStart;
    this.recordLine = this.line + 1;
  }
}

/** Whether a record is a blank line (or only empty cells). */
export function isBlank(record: CsvRecord): boolean {
  for (const cell of record.cells) if (cell.trim() !== "") return false;
  return true;
}
