/**
 * One request whose body is read as the server sent it (fetch told not to decompress it), and
 * that body decoded (zstd, gzip, or as it is): what compression sends, and what it stands for.
 */
export async function rawFetch(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: BodyInit } = {},
) {
  const response = await fetch(url, {
    method: init.method ?? "GET",
    headers: init.headers,
    body: init.body,
    redirect: "manual",
    decompress: false,
  } as RequestInit);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const encoding = response.headers.get("content-encoding");
  const decoded =
    bytes.byteLength === 0
      ? bytes
      : encoding === "zstd"
        ? Bun.zstdDecompressSync(bytes)
        : encoding === "gzip"
          ? Bun.gunzipSync(bytes)
          : bytes;
  return { response, status: response.status, bytes, encoding, text: new TextDecoder().decode(decoded) };
}

/** A page without what differs in every response: CSP nonces and masked CSRF tokens. */
export function withoutPerResponseValues(html: string): string {
  return html
    .replace(/nonce-[\w+/=-]+/g, "nonce-X")
    .replace(/nonce="[^"]*"/g, 'nonce="X"')
    .replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value="X"')
    .replace(/<meta name="csrf-token" content="[^"]*"/g, '<meta name="csrf-token" content="X"');
}
