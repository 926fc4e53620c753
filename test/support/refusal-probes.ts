/**
 * Requests every documented API operation must refuse, built from the operation alone: no
 * key, another workspace's key, a workspace that is not there, an id that is not there, an
 * unknown query parameter, a read-only key writing, a stale `If-Match`, and for a body: malformed JSON, the wrong media type, a body past the
 * limit, fields of the wrong type; and headers past the HTTP server's limit. Each says which
 * statuses would be right; the API test checks every answer against the OpenAPI document too.
 */

/** An id no test workspace has (the largest JavaScript integer the API takes). */
export const MISSING_ID = String(Number.MAX_SAFE_INTEGER);

export interface Probe {
  name: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** The statuses that are right for it. */
  expected: number[];
}

export interface ProbeTarget {
  method: string;
  /** The documented path, e.g. `/api/v1/t/{tenant}/deals/{id}`. */
  path: string;
  /** The concrete URL path the operation's own request uses. */
  url: string;
  slug: string;
  /** Whether the operation needs an API key (`security: []` says it does not). */
  secured: boolean;
  /** Whether the operation takes `If-Match` (a stale one is then a 412). */
  takesIfMatch: boolean;
  /** The body the operation's own request sends, if it takes one. */
  body?: unknown;
  /** The body's size limit for this operation, in bytes. */
  bodyLimit: number;
  keys: { owner: string; otherWorkspace: string; readOnly: string };
}

/** A body of the documented shape with every field of the wrong type (an object where none takes one). */
function wrongTypes(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(wrongTypes);
  if (body === null || typeof body !== "object") return { wrong: true };
  return Object.fromEntries(Object.keys(body).map((name) => [name, { wrong: true }]));
}

export function refusalProbes(t: ProbeTarget): Probe[] {
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const json = { "content-type": "application/json" };
  const sent = t.body === undefined ? undefined : JSON.stringify(t.body);
  const withBody = (headers: Record<string, string>) =>
    sent === undefined ? headers : { ...headers, ...json };
  const probe = (name: string, expected: number[], over: Partial<Probe> = {}): Probe => ({
    name,
    url: t.url,
    method: t.method,
    headers: withBody(auth(t.keys.owner)),
    body: sent,
    expected,
    ...over,
  });
  const probes: Probe[] = [
    probe("headers past the limit", [431], {
      headers: { ...withBody(auth(t.keys.owner)), "x-padding": "x".repeat(64 * 1024) },
    }),
  ];
  if (!t.secured) return probes;
  probes.push(
    probe("no key", [401], { headers: withBody({}) }),
    probe("another workspace's key", [401], { headers: withBody(auth(t.keys.otherWorkspace)) }),
    probe("no such workspace", [401, 404], {
      url: t.url.replace(`/t/${t.slug}/`, "/t/no-such-workspace-here/"),
    }),
  );
  if (t.path.includes("{id}"))
    probes.push(
      probe("no such record", [404], { url: t.url.replace(/\/\d+(?=\/|$)/, `/${MISSING_ID}`) }),
      probe("an id that is no number", [400, 404], { url: t.url.replace(/\/\d+(?=\/|$)/, "/abc") }),
    );
  // One rule on every route, writes included: a parameter the operation does not take is a 400.
  const url = `${t.url}${t.url.includes("?") ? "&" : "?"}frobnicate=1`;
  probes.push(probe("an unknown query parameter", [400], { url }));
  if (t.method !== "GET")
    probes.push(probe("a read-only key", [403], { headers: withBody(auth(t.keys.readOnly)) }));
  if (t.takesIfMatch)
    probes.push(
      probe("a stale If-Match", [412], {
        headers: { ...withBody(auth(t.keys.owner)), "if-match": '"stale"' },
      }),
    );
  if (sent !== undefined) {
    const oversized = JSON.stringify({ padding: "x".repeat(t.bodyLimit + 1024) });
    probes.push(
      probe("malformed JSON", [400], { body: '{"name": "x",' }),
      probe("a body that is not JSON", [415], {
        headers: { ...auth(t.keys.owner), "content-type": "text/plain" },
      }),
      probe("a body past the limit", [413], { body: oversized }),
      // A batch of events refuses a bad event on its own (200, `rejected`); every other body is refused whole.
      probe("fields of the wrong type", t.path.endsWith("/events") ? [200] : [400, 422], {
        body: JSON.stringify(wrongTypes(t.body)),
      }),
    );
  }
  return probes;
}
