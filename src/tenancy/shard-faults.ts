import { RetryLaterError } from "../core/errors.ts";

/** A workspace whose file cannot be trusted: 503 for it alone until an operator checks it (crm tenants check). */
export class WorkspaceUnavailableError extends RetryLaterError {
  constructor() {
    super(
      503,
      "this workspace is unavailable: its data needs an operator's attention, and nothing can be saved until then",
      60,
    );
    Object.defineProperty(this, "title", { value: "Workspace unavailable" });
  }
}

/** The tenant's file is not the one it should be: gone, replaced, corrupt or someone else's. */
export class ShardFaultError extends Error {
  constructor(
    readonly tenantId: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** SQLite's codes for a file that is damaged or is not a database at all. */
export function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB");
}

/** A file's identity: the same path can name another file after a delete, a move or a copy over it. */
export interface FileIdentity {
  dev: number;
  ino: number;
}
