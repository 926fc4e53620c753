// The OpenAPI document, part: rules of JSON Schema added to what zod derives, and the
// combinators answers and bodies share (closed objects, required sets, if/then between fields).

/** Whether a property holds ids: `id`, `…Id`, `…Ids`. */
const ID_NAME = /^(id|\w+Ids?)$/;

/**
 * Marks every integer id in a derived schema `format: int64` (ids are 64-bit: a 32-bit
 * generated client would overflow), by property name: `id`, `…Id` and the items of `…Ids`.
 */
export function withInt64Ids(schema: unknown, name?: string): unknown {
  if (Array.isArray(schema)) return schema.map((s) => withInt64Ids(s, name));
  if (schema === null || typeof schema !== "object") return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "properties")
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([prop, s]) => [prop, withInt64Ids(s, prop)]),
      );
    else if (key === "anyOf" || key === "oneOf" || key === "items") out[key] = withInt64Ids(value, name);
    else out[key] = value;
  }
  if (out.type === "integer" && name !== undefined && ID_NAME.test(name)) out.format = "int64";
  return out;
}

/**
 * A derived body schema with more of the server's rules stated per field (`format: email`, a
 * pattern the server checks in code): each property gets `extra`'s keywords, on its non-null
 * branch when it is nullable (`anyOf: [{…}, {type: "null"}]`).
 */
export function withFieldRules(
  schema: Record<string, unknown>,
  extra: Record<string, Record<string, unknown>>,
): Record<string, unknown> {
  const properties = { ...(schema.properties as Record<string, Record<string, unknown>>) };
  for (const [name, keywords] of Object.entries(extra)) {
    const field = properties[name];
    if (!field) throw new Error(`no property ${name} to add rules to`);
    properties[name] = Array.isArray(field.anyOf)
      ? {
          ...field,
          anyOf: (field.anyOf as Record<string, unknown>[]).map((branch) =>
            branch.type === "null" ? branch : { ...branch, ...keywords },
          ),
        }
      : { ...field, ...keywords };
  }
  return { ...schema, properties };
}

/**
 * An answer's schema with `additionalProperties: false` on every object that names its
 * properties: the server sends exactly those (a client may rely on it, and the API test does).
 */
export function closed<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(closed) as T;
  if (schema === null || typeof schema !== "object") return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema))
    out[key] =
      key === "properties"
        ? Object.fromEntries(Object.entries(value as object).map(([name, s]) => [name, closed(s)]))
        : key === "enum" || key === "required" || key === "default"
          ? value
          : closed(value);
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out as T;
}

/** `names` are required (each named in `properties` too, as strict validators ask). */
export const requires = (...names: string[]) => ({
  required: names,
  properties: Object.fromEntries(names.map((name) => [name, true])),
});

/**
 * A rule between fields: when `field` is one of `values`, the body also satisfies `then`
 * (and otherwise `otherwise`, if given). JSON Schema's if/then/else.
 */
export function whenField(field: string, values: string[], then: object, otherwise?: object) {
  return {
    if: { required: [field], properties: { [field]: { enum: values } } },
    then,
    ...(otherwise ? { else: otherwise } : {}),
  };
}

/**
 * Text the server refuses control characters in (src/core/validation.ts textProblem): no C0 or
 * C1 controls and no bidirectional embeddings, overrides or isolates.
 */
export const ONE_LINE = { pattern: "^[^\\u0000-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069]*$" };
/** The same for text that may span lines: tab, line feed and carriage return allowed. */
export const MULTI_LINE = {
  pattern: "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069]*$",
};
/** An ISO 4217 code as the server takes it (any case; an unknown code is a 422). */
export const CURRENCY_CODE = {
  pattern: "^[A-Za-z]{3}$",
  description: "ISO 4217 currency code, e.g. USD (any case; stored upper-case); an unknown code is a 422",
};

/** Each of `names` is one line of clean text. */
export const oneLine = (...names: string[]) => Object.fromEntries(names.map((n) => [n, ONE_LINE]));
