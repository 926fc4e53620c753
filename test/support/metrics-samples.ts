/** Reading a /metrics scrape (Prometheus' text format) in tests. */

/** The samples of a scrape: `name{labels}` → value. */
export function samples(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    map.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return map;
}

/** A sample's labels, from its `name{labels}` key. */
export function labelsOf(key: string): Record<string, string> {
  const out: Record<string, string> = {};
  const inner = /\{(.*)\}$/.exec(key)?.[1] ?? "";
  for (const m of inner.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) out[m[1] as string] = m[2] as string;
  return out;
}

/** The sum of the samples of metric `name` whose labels include every one of `labels`. */
export function sumOf(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [key, value] of samples(text)) {
    const at = key.indexOf("{");
    if ((at < 0 ? key : key.slice(0, at)) !== name) continue;
    const own = labelsOf(key);
    if (Object.entries(labels).every(([k, v]) => own[k] === v)) sum += value;
  }
  return sum;
}
