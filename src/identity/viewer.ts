import type { Role } from "../auth/schema.ts";

/** Who is making the request: a signed-in user (browser session) or an API key. */
export type Viewer =
  | {
      kind: "user";
      id: number;
      name: string;
      email: string;
      role: Role;
      sessionId: string;
      csrfToken: string;
    }
  | { kind: "api_key"; id: number; name: string; role: Role };

/** Who an interaction is attributed to. */
export interface Actor {
  type: "user" | "api_key" | "system";
  id: number | null;
}

export function actorOf(viewer: Viewer): Actor {
  return { type: viewer.kind, id: viewer.id };
}

export const SYSTEM_ACTOR: Actor = { type: "system", id: null };
