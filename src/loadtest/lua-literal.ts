/**
 * A JSON-like value as a Lua expression, for the data file wrk's scenario scripts load with
 * dofile. Strings are written as Lua long-bracket-free quoted strings with every byte outside
 * printable ASCII escaped (`\ddd`), so no value can end the string or run code.
 */
export type LuaValue = string | number | boolean | LuaValue[] | { [key: string]: LuaValue };

function luaString(text: string): string {
  let out = '"';
  for (const byte of new TextEncoder().encode(text)) {
    const printable = byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c;
    out += printable ? String.fromCharCode(byte) : `\\${String(byte).padStart(3, "0")}`;
  }
  return `${out}"`;
}

export function luaLiteral(value: LuaValue): string {
  if (typeof value === "string") return luaString(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} for Lua`);
    return String(value);
  }
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `{${value.map(luaLiteral).join(", ")}}`;
  return `{${Object.entries(value)
    .map(([k, v]) => `[${luaString(k)}] = ${luaLiteral(v)}`)
    .join(",\n")}}`;
}
