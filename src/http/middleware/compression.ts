import type { Context, MiddlewareHandler } from "hono";
import { parseAccept } from "hono/utils/accept";

/** The encodings we send, best first: zstd is as small as gzip or smaller, and cheaper to make (scripts/bench/compression.ts). */
export const ENCODINGS = ["zstd", "gzip"] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** Below this a response goes as it is: headers and framing cost more than the bytes saved. */
export const MIN_COMPRESS_BYTES = 1024;
/**
 * Above this a response goes as it is: compressing is synchronous (≈ 1 ms per MB with zstd
 * here), and no request may hold the event loop for more than ~20 ms (invariant 10). Pages and
 * API lists are far below it; large files are downloads, which are never compressed.
 */
export const MAX_COMPRESS_BYTES = 4 * 1024 * 1024;

/** Markup, JSON (problems too), styles, scripts and SVG: text that compresses. Never CSV, which is always a download. */
const COMPRESSIBLE =
  /^\s*(?:text\/(?:html|css|javascript|plain)|application\/(?:json|problem\+json|javascript)|image\/svg\+xml)\s*(?:;|$)/i;
const NO_TRANSFORM = /(?:^|,)\s*no-transform\s*(?:,|$)/i;

/**
 * The encoding to send for an Accept-Encoding header: the one with the highest q among ours
 * (zstd before gzip at equal q), `*` standing for any not named; none when the header is
 * absent, names none of ours, or refuses them (q=0).
 */
export function negotiateEncoding(header: string | undefined): Encoding | undefined {
  if (!header) return undefined;
  const accepts = parseAccept(header);
  const wildcard = accepts.find((a) => a.type === "*")?.q;
  let best: { encoding: Encoding; q: number } | undefined;
  for (const encoding of ENCODINGS) {
    const named = accepts.find((a) => a.type.toLowerCase() === encoding);
    const q = named ? named.q : (wildcard ?? 0);
    if (q > 0 && (!best || q > best.q)) best = { encoding, q };
  }
  return best?.encoding;
}

/**
 * `body` in `encoding`. Measured on the contacts list (62 KB) and the board (153 KB): zstd level 3
 * gives 8.1 and 7.8 KB in 90 and 109 µs; gzip level 3 gives 8.1 and 9.2 KB in 150 and 121 µs,
 * where level 6 saves another 5% of the bytes for 2–3× the time (324 and 410 µs).
 */
export function encodeBody(body: Uint8Array<ArrayBuffer>, encoding: Encoding): Uint8Array {
  return encoding === "zstd" ? Bun.zstdCompressSync(body, { level: 3 }) : Bun.gzipSync(body, { level: 3 });
}

/** Adds Accept-Encoding to Vary: the answer depends on it, so a shared cache must key on it. */
export function varyOnEncoding(headers: Headers): void {
  const vary = headers.get("Vary");
  if (vary === "*" || (vary && /(?:^|,)\s*accept-encoding\s*(?:,|$)/i.test(vary))) return;
  headers.set("Vary", vary ? `${vary}, Accept-Encoding` : "Accept-Encoding");
}

/**
 * A strong ETag names one representation's bytes: the encoded one gets its own
 * (`"v1"` → `"v1-zstd"`), so a cache never pairs one encoding's validator with the other's bytes.
 */
export function encodedEtag(etag: string, encoding: Encoding): string {
  if (etag.startsWith("W/")) return etag;
  return etag.endsWith('"') ? `${etag.slice(0, -1)}-${encoding}"` : `${etag}-${encoding}`;
}

const ENCODED_SUFFIX = new RegExp(`-(?:${ENCODINGS.join("|")})"$`);

/** The tag `encodedEtag` started from: `"v1-zstd"` → `"v1"`; any other tag as it is. */
export function decodedEtag(etag: string): string {
  return etag.replace(ENCODED_SUFFIX, '"');
}

/**
 * A HEAD is answered by its GET's handler, whose body Hono drops afterwards; Bun then says
 * `Content-Length: 0` unless the answer names a length. So a HEAD of a page or of JSON says the
 * length of the bytes it left out: the unencoded answer, whose ETag it also carries (a HEAD is
 * never compressed, which would cost the work for no bytes sent).
 */
async function headLength(c: Context): Promise<void> {
  if (c.res.headers.has("Content-Length")) return;
  const bytes = await c.res.arrayBuffer();
  c.res.headers.set("Content-Length", String(bytes.byteLength));
  c.res = new Response(bytes, { status: c.res.status, statusText: c.res.statusText, headers: c.res.headers });
}

/**
 * Compresses pages and JSON (HTML, plain text, JSON, problem+json, CSS, JS, SVG) between 1 KB
 * and 4 MB with the encoding the client prefers (zstd, then gzip). Never: a HEAD (which says
 * Vary all the same, and describes the unencoded answer: see headLength), a 204/206/304, a response already encoded (the static assets carry their
 * precompressed bytes), a download (`Content-Disposition`: a CSV or a workspace's files stream
 * as they are), a response marked `no-transform`. Every compressible response says
 * `Vary: Accept-Encoding`.
 *
 * HTML pages carry the CSRF token, a secret, beside text a user typed: a compressed page's size
 * could reveal it to someone who can make the victim's browser load pages and watch the bytes
 * (BREACH). The token in a page is therefore masked afresh for every response (csrf.ts), so no
 * two pages carry the same secret bytes.
 */
export function compression(): MiddlewareHandler {
  return async function compression(c, next) {
    await next();
    const res = c.res;
    const headers = res.headers;
    if ([204, 206, 304].includes(res.status)) return;
    if (headers.has("Content-Encoding") || headers.has("Content-Disposition")) return;
    if (!COMPRESSIBLE.test(headers.get("Content-Type") ?? "")) return;
    if (NO_TRANSFORM.test(headers.get("Cache-Control") ?? "")) return;
    // A HEAD says Vary as its GET does (a cache keys both alike); it has no bytes to encode.
    varyOnEncoding(headers);
    if (!res.body) return;
    if (c.req.method === "HEAD") return headLength(c);
    const encoding = negotiateEncoding(c.req.header("Accept-Encoding"));
    if (!encoding) return;
    const declared = Number(headers.get("Content-Length") ?? Number.NaN);
    if (declared < MIN_COMPRESS_BYTES || declared > MAX_COMPRESS_BYTES) return;
    const body = new Uint8Array(await res.arrayBuffer());
    // The body was read: whatever is decided, a new response carries it.
    const asIs = body.byteLength < MIN_COMPRESS_BYTES || body.byteLength > MAX_COMPRESS_BYTES;
    const bytes = asIs ? body : encodeBody(body, encoding);
    // Hono copies the old response's headers onto the new one: they are changed there.
    headers.delete("Content-Length");
    if (!asIs) {
      headers.set("Content-Encoding", encoding);
      const etag = headers.get("ETag");
      if (etag) headers.set("ETag", encodedEtag(etag, encoding));
    }
    c.res = new Response(bytes as Uint8Array<ArrayBuffer>, {
      status: res.status,
      statusText: res.statusText,
      headers,
    });
  };
}
