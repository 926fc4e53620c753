import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import type { ResolvedTarget } from "./webhook-target.ts";

/** What one attempt came to: a 2xx is delivered, anything else (3xx included) failed. */
export interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

/**
 * POSTs `body` to the target, connecting to the address that was checked (a lookup function
 * that answers it, so the name is not resolved again: DNS rebinding cannot swap in another
 * address), with the URL's own name for TLS (SNI, certificate) and Host. Never follows a
 * redirect (node:http does not). Only the status matters: the answer's body is never read,
 * the connection is closed as soon as the status line arrives (a receiver dripping its body
 * holds nothing). Resolves, never rejects; `timeoutMs` bounds the whole attempt, and `signal`
 * (the server stopping) ends it at once.
 */
export function postDelivery(
  target: ResolvedTarget,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<AttemptResult> {
  const started = performance.now();
  const pinned: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all)
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
        { address: target.address, family: target.family },
      ]);
    else callback(null, target.address, target.family);
  };
  const send = target.url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const finish = (result: Omit<AttemptResult, "durationMs">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
      resolve({ ...result, durationMs: Math.round(performance.now() - started) });
    };
    const req = send(
      target.url,
      {
        method: "POST",
        lookup: pinned,
        headers: { ...headers, "Content-Length": String(Buffer.byteLength(body)) },
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        finish({
          ok: status >= 200 && status < 300,
          statusCode: status,
          error:
            status >= 200 && status < 300
              ? null
              : status >= 300 && status < 400
                ? `answered ${status} (redirects are not followed)`
                : `answered ${status}`,
        });
        res.destroy();
      },
    );
    const timer = setTimeout(() => {
      finish({ ok: false, statusCode: null, error: `no answer within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    const abort = () => {
      finish({ ok: false, statusCode: null, error: "stopped: the server is shutting down" });
      req.destroy();
    };
    if (signal?.aborted) abort();
    signal?.addEventListener("abort", abort, { once: true });
    req.on("error", (error: Error & { code?: string }) =>
      finish({
        ok: false,
        statusCode: null,
        error: error.code ? `${error.code}: ${error.message}` : error.message,
      }),
    );
    req.end(body);
  });
}
