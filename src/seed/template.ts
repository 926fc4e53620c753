/** A text template split once into literals (even places) and slot names (odd places). */
export type Template = readonly string[];

/** A slot's value, or undefined when the record at hand cannot fill it. */
export type Lookup = (slot: string) => string | undefined;

export function compile(text: string): Template {
  return text.split(/\{(\w+)\}/);
}

/** Whether `lookup` can fill every slot of `template`. */
export function fits(template: Template, lookup: Lookup): boolean {
  for (let i = 1; i < template.length; i += 2) if (lookup(template[i] as string) === undefined) return false;
  return true;
}

/** Fills a compiled template; a slot without a value fails loudly rather than printing "undefined". */
export function fill(template: Template, lookup: Lookup): string {
  let out = template[0] as string;
  for (let i = 1; i < template.length; i += 2) {
    const value = lookup(template[i] as string);
    if (value === undefined) throw new Error(`template slot {${template[i]}} has no value`);
    out += value + (template[i + 1] as string);
  }
  return out;
}

export function uses(template: Template, slot: string): boolean {
  for (let i = 1; i < template.length; i += 2) if (template[i] === slot) return true;
  return false;
}
