import { existsSync } from "node:fs";
import { clusterFetch } from "./cluster-fetch.ts";
import { type MoveJournal, readJournal } from "./move-journal.ts";
import { type ClusterHost, hostNamed, type Placement } from "./placement.ts";
import { readPlacement } from "./placement-file.ts";

/** A move refused or failed: what to tell the operator, and the exit code (2: bad input, 1: failed). */
export class MoveError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

/** Time allowed to a host for a short call (state, freeze, thaw, retire), and for a copy or catch-up. */
export const SHORT_MS = 15_000;
export const TRANSFER_MS = 30 * 60_000;
export const FREEZE_MS = 45_000;

/** One signed call to a host's /_cluster routes: its JSON, or a MoveError saying who failed how. */
export async function call<T>(
  host: ClusterHost,
  secret: string,
  method: string,
  path: string,
  timeoutMs = SHORT_MS,
): Promise<{ status: number; body: T }> {
  let response: Response;
  try {
    response = await clusterFetch(host, secret, method, path, { timeoutMs });
  } catch (error) {
    throw new MoveError(`host ${host.name} (${host.url}) did not answer: ${(error as Error).message}`, 1);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, body: body as T };
}

export async function expectOk<T>(
  host: ClusterHost,
  secret: string,
  method: string,
  path: string,
  timeoutMs?: number,
) {
  const { status, body } = await call<T & { detail?: string }>(host, secret, method, path, timeoutMs);
  if (status >= 200 && status < 300) return body as T;
  const detail = typeof body === "object" && body?.detail ? body.detail : String(body).slice(0, 300);
  throw new MoveError(`host ${host.name} answered ${status} to ${method} ${path}: ${detail}`, 1);
}

export function loadPlacement(clusterFile: string): Placement {
  if (!existsSync(clusterFile))
    throw new MoveError(`no placement file at ${clusterFile}: there is no cluster to move within`, 2);
  try {
    return readPlacement(clusterFile);
  } catch (error) {
    throw new MoveError((error as Error).message, 2);
  }
}

export function hostOrRefuse(placement: Placement, name: string): ClusterHost {
  const host = hostNamed(placement, name);
  if (!host)
    throw new MoveError(
      `no host "${name}" in placement (hosts: ${placement.hosts.map((h) => h.name).join(", ") || "none"})`,
      2,
    );
  return host;
}

export function journalOrRefuse(dataDir: string, slug: string): MoveJournal | undefined {
  try {
    return readJournal(dataDir, slug);
  } catch (error) {
    throw new MoveError((error as Error).message, 1);
  }
}
