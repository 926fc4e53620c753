import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { opsRefusedPage } from "../../views/ops/ops-refused-page.ts";
import { safeEqual } from "../core/tokens.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { clientIp } from "../http/https.ts";
import { bearerToken, isLoopback } from "../http/loopback.ts";
import { pageContext } from "../http/page-context.ts";
import { operatorForSession } from "./operator-sessions.ts";

/** The operators' session cookie: its own name and path, never a workspace's (crm_session under /t/<slug>). */
export const OPS_SESSION_COOKIE = "crm_ops_session";

/** Routes behind opsAccess: who got in, and whether by a session (which can be signed out of). */
export type OpsEnv = { Variables: AppEnv["Variables"] & { operator: string; opsSession?: string } };

/** How the request gets in, or undefined: the same rules as /metrics, then an operator's session. */
function operatorOf(c: Context, deps: AppDeps): { who: string; session?: string } | undefined {
  const authorization = c.req.header("authorization");
  // Credentials sent are checked, never ignored: a wrong one is refused even from the loopback.
  if (authorization !== undefined) {
    const token = deps.config.metricsToken;
    const bearer = bearerToken(authorization);
    return token !== undefined && bearer !== undefined && safeEqual(token, bearer)
      ? { who: "the operator's token" }
      : undefined;
  }
  // A live session first, even from the loopback (an ssh tunnel, a local proxy): the operator is
  // named, and signing out there ends the session itself, not only the browser's cookie.
  const session = getCookie(c, OPS_SESSION_COOKIE);
  const email = session ? operatorForSession(deps.catalog, session, deps.now()) : undefined;
  if (email) return { who: email, session };
  return isLoopback(clientIp(c, deps.config)) ? { who: "the host's loopback" } : undefined;
}

/**
 * Lets operators through to the dashboard and nobody else: a client on the host's loopback
 * (behind a trusted proxy, the address the proxy names), `Authorization: Bearer
 * <CRM_METRICS_TOKEN>` from anywhere, or an operator signed in at /ops/login. A workspace's
 * session, its owner's included, counts for nothing here. Anyone else: 403 and a link to the
 * sign-in, no figures.
 */
export function opsAccess(deps: AppDeps): MiddlewareHandler<OpsEnv> {
  return async function opsAccess(c, next) {
    const operator = operatorOf(c, deps);
    if (!operator) return c.html(opsRefusedPage(pageContext(c, deps)).value, 403);
    c.set("operator", operator.who);
    if (operator.session) c.set("opsSession", operator.session);
    await next();
  };
}
