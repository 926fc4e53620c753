import { readFileSync } from "node:fs";
import type { AssetUrls } from "../../views/layouts/page-context.ts";
import { appFile } from "../core/app-files.ts";
import {
  type Encoding,
  encodedEtag,
  negotiateEncoding,
  varyOnEncoding,
} from "../http/middleware/compression.ts";

interface Asset {
  body: Uint8Array;
  type: string;
  hash: string;
  /** The body compressed once at start-up, at the slowest, smallest levels (no request pays for it). */
  encoded: Record<Encoding, Uint8Array>;
}

/** Static files the pages load: htmx and its CSP extension from node_modules (never a CDN), and our own JS and CSS. */
const SOURCES: Record<string, { file: string; type: string }> = {
  "htmx.js": { file: "node_modules/htmx.org/dist/htmx.min.js", type: "text/javascript" },
  "hx-csp.js": { file: "node_modules/htmx.org/dist/ext/hx-csp.min.js", type: "text/javascript" },
  "app.js": { file: "views/assets/app.js", type: "text/javascript" },
  "app.css": { file: "views/assets/app.css", type: "text/css" },
  "favicon.svg": { file: "views/assets/favicon.svg", type: "image/svg+xml" },
};

/** Every file the pages load, for the binary's build to embed (scripts/build-binary.ts). */
export const ASSET_FILES = Object.values(SOURCES).map((source) => source.file);

/**
 * Loaded once at start-up and served from memory. Each URL carries a content hash
 * (`/assets/app.js?v=1a2b3c4d`), so browsers may cache them for a year and still never run stale code.
 */
export class Assets {
  private readonly files = new Map<string, Asset>();
  /** What the page layout links to. */
  readonly urls: AssetUrls;

  constructor() {
    for (const [name, source] of Object.entries(SOURCES)) {
      const body = readFileSync(appFile(source.file));
      const hash = new Bun.CryptoHasher("sha256").update(body).digest("hex").slice(0, 12);
      const encoded = {
        zstd: Bun.zstdCompressSync(body, { level: 19 }),
        gzip: Bun.gzipSync(body, { level: 9 }),
      };
      this.files.set(name, { body, type: source.type, hash, encoded });
    }
    this.urls = {
      css: this.url("app.css"),
      htmx: this.url("htmx.js"),
      hxCsp: this.url("hx-csp.js"),
      app: this.url("app.js"),
      icon: this.url("favicon.svg"),
    };
  }

  /** The cache-busting URL of a named asset. */
  url(name: string): string {
    const asset = this.files.get(name);
    if (!asset) throw new Error(`unknown asset ${name}`);
    return `/assets/${name}?v=${asset.hash}`;
  }

  /**
   * The response for GET /assets/:name, or undefined for an unknown name: the precompressed
   * bytes in the encoding the client prefers (zstd, gzip), or the file as it is. Each encoding
   * has its own ETag; a validator of any of them, or `*`, gets a 304 (the content is the same).
   */
  response(
    name: string,
    ifNoneMatch: string | undefined,
    acceptEncoding: string | undefined,
  ): Response | undefined {
    const asset = this.files.get(name);
    if (!asset) return undefined;
    const encoding = negotiateEncoding(acceptEncoding);
    const plain = `"${asset.hash}"`;
    const headers = new Headers({
      "Content-Type": `${asset.type}; charset=utf-8`,
      "Cache-Control": "public, max-age=31536000, immutable",
      ETag: encoding ? encodedEtag(plain, encoding) : plain,
    });
    varyOnEncoding(headers);
    const known = [plain, encodedEtag(plain, "zstd"), encodedEtag(plain, "gzip")];
    const tags = ifNoneMatch?.split(",").map((tag) => tag.trim().replace(/^W\//, ""));
    // `*` matches any current representation (RFC 9110 13.1.2): the one negotiated now.
    const matched = tags?.includes("*")
      ? (headers.get("ETag") ?? plain)
      : tags?.find((tag) => known.includes(tag));
    if (matched) {
      headers.set("ETag", matched);
      return new Response(null, { status: 304, headers });
    }
    if (!encoding) return new Response(asset.body as Uint8Array<ArrayBuffer>, { headers });
    headers.set("Content-Encoding", encoding);
    return new Response(asset.encoded[encoding] as Uint8Array<ArrayBuffer>, { headers });
  }
}
