import { describe, expect, it } from "bun:test";
import { csvField, csvRow, toCsv } from "./csv.ts";

describe("csv", () => {
  it("leaves plain fields alone and writes null as an empty field", () => {
    expect(csvRow(["Ada", 42, null, undefined, "x y"])).toBe("Ada,42,,,x y\r\n");
  });

  it("quotes fields holding a comma, a quote, CR or LF, doubling the quotes (RFC 4180)", () => {
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("line\nbreak")).toBe('"line\nbreak"');
    expect(csvField("line\r\nbreak")).toBe('"line\r\nbreak"');
    expect(csvField('"')).toBe('""""');
  });

  it("quotes fields holding a semicolon, which Excel splits on where it is the list separator", () => {
    expect(csvField("Sales; EMEA")).toBe('"Sales; EMEA"');
    expect(csvField(";")).toBe('";"');
    expect(csvField('a;"b",c')).toBe('"a;""b"",c"');
    expect(csvField("=1;2")).toBe('"\'=1;2"');
    expect(csvRow(["x;y", "plain", 3])).toBe('"x;y",plain,3\r\n');
  });

  it("prefixes text that a spreadsheet would run as a formula with a single quote", () => {
    expect(csvField('=HYPERLINK("http://evil","x")')).toBe('"\'=HYPERLINK(""http://evil"",""x"")"');
    expect(csvField("+1 555")).toBe("'+1 555");
    expect(csvField("-2+3")).toBe("'-2+3");
    expect(csvField("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvField("\t=1")).toBe("'\t=1");
    expect(csvField("\r=1")).toBe('"\'\r=1"');
    // Only the first character matters, and numbers are data, not text.
    expect(csvField("a=b")).toBe("a=b");
    expect(csvField(-5)).toBe("-5");
  });

  it("writes a header and one record per row", () => {
    expect(
      toCsv(
        ["id", "name"],
        [
          [1, "Ada"],
          [2, "Grace, RADM"],
        ],
      ),
    ).toBe('id,name\r\n1,Ada\r\n2,"Grace, RADM"\r\n');
  });

  it("round-trips through a strict RFC 4180 parser", () => {
    const values = ["plain", "a,b", 'q"uote', "multi\r\nline", "", "=1+1"];
    const parsed = parseCsvRecord(csvRow(values));
    expect(parsed).toEqual(["plain", "a,b", 'q"uote', "multi\r\nline", "", "'=1+1"]);
  });
});

/** A minimal parser for one record, to check the writer's output is well formed. */
function parseCsvRecord(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = "";
    if (text[i] === '"') {
      i++;
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote < 0) throw new Error("unterminated quote");
        field += text.slice(i, quote);
        if (text[quote + 1] === '"') {
          field += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
    } else {
      const end = text.slice(i).search(/,|\r\n/);
      field = text.slice(i, i + end);
      if (/["\r\n]/.test(field)) throw new Error(`unquoted special character in ${JSON.stringify(field)}`);
      i += end;
    }
    fields.push(field);
    if (text[i] === ",") i++;
    else if (text.slice(i) === "\r\n") return fields;
    else throw new Error(`unexpected ${JSON.stringify(text.slice(i))}`);
  }
}
