/**
 * Form fields are text, while the schemas they share with the JSON API take JSON numbers only
 * (a body's `"0x10"`, `true` or `[]` is refused, never read as a number). A form field written
 * as a whole number in decimal digits becomes that number here, at the form's edge; anything
 * else (an empty field included) stays as it was, for the schema to refuse or to read as "none".
 */
export function formNumbers(
  fields: Record<string, string>,
  names: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fields };
  for (const name of names) {
    const value = fields[name]?.trim();
    if (value !== undefined && /^-?\d{1,15}$/.test(value)) out[name] = Number(value);
  }
  return out;
}
