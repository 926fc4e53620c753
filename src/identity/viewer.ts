import type { Role } from "./roles.ts";

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

/**
 * Who does something: what an interaction is attributed to (type and id), and the role that
 * services check before they write, so a page and its API twin pass the same guard.
 */
export interface Actor {
  type: "user" | "api_key" | "system";
  id: number | null;
  role: Role;
}

export function actorOf(viewer: Viewer): Actor {
  return { type: viewer.kind, id: viewer.id, role: viewer.role };
}

/** The product itself (the seed, maintenance commands): allowed everything, attributed to no one. */
export const SYSTEM_ACTOR: Actor = { type: "system", id: null, role: "owner" };
