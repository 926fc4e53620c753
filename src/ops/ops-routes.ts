import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { opsLoginPage } from "../../views/ops/ops-login-page.ts";
import { opsPage } from "../../views/ops/ops-page.ts";
import { opsPanels } from "../../views/ops/ops-panels.ts";
import type { AuthDeps } from "../auth/auth-deps.ts";
import { PASSWORD_MAX_LENGTH } from "../auth/password-hasher.ts";
import { emailAddress, parseOrThrow } from "../core/validation.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { writeFromForm } from "../http/form-write.ts";
import { clientIp, isHttps } from "../http/https.ts";
import { csrfProtection } from "../http/middleware/csrf.ts";
import { formFields, pageContext } from "../http/page-context.ts";
import { endOperatorSession, OPERATOR_SESSION_MS, startOperatorSession } from "./operator-sessions.ts";
import { operatorByEmail } from "./operators.ts";
import { OPS_SESSION_COOKIE, type OpsEnv, opsAccess } from "./ops-access-middleware.ts";
import { OpsRecorder } from "./ops-recorder.ts";
import { OpsSampler } from "./ops-sampler.ts";
import type { OpsSource } from "./ops-source.ts";
import { summarize } from "./ops-summary.ts";
import { TenantStorage } from "./tenant-storage.ts";

const loginInput = z.object({
  email: emailAddress,
  password: z.string().min(1, "is required").max(PASSWORD_MAX_LENGTH),
});

/** The sign-in limiter's key for operators: no workspace has this id (they are UUIDs). */
const OPERATORS_KEY = "host-operators";

/**
 * The ops dashboard (README "Operations dashboard"): GET /ops (the whole page), GET
 * /ops/panels (what htmx swaps in every few seconds), and the operators' sign-in and sign-out.
 * Every answer is `Cache-Control: no-store`. Figures come from `given` (this process's, or
 * its group's); storage is measured here, off the request path (tenant-storage.ts).
 */
export function opsRoutes(deps: AppDeps & AuthDeps, given: OpsSource | undefined) {
  const app = new Hono<OpsEnv>();
  // An app built without one (`crm routes`, in-process tests) has the routes and an empty history.
  const source =
    given ??
    new OpsSampler(
      new OpsRecorder({
        openShards: () => deps.shards.openCount,
        poolQueued: () => deps.pool.stats().queued,
      }),
      deps.config.opsSampleSeconds,
    );
  const storage = new TenantStorage(deps.catalog, deps.now);

  for (const path of ["/ops", "/ops/*"])
    app.use(path, async function noStore(c, next) {
      await next();
      c.res.headers.set("Cache-Control", "no-store");
    });

  const panelsProps = async () => {
    const [data, measured] = await Promise.all([source.data(), storage.read()]);
    // The workspaces' names beside their slugs: twenty lookups at most, cached by the catalog.
    const names: Record<string, string> = {};
    for (const { slug } of [...data.topTenants, ...measured.top])
      names[slug] ??= deps.catalog.findBySlug(slug)?.name ?? "";
    return { data, summary: summarize(data), storage: measured, names };
  };

  const renderLogin = (
    c: Context,
    values: Record<string, string>,
    errors: Record<string, string>,
    problem?: string,
  ) => opsLoginPage({ ctx: pageContext(c, deps), form: { values, errors }, problem }).value;

  app.use("/ops/login", csrfProtection(deps));
  app.get("/ops/login", (c) => c.html(renderLogin(c, {}, {})));
  app.post("/ops/login", async (c) => {
    const fields = await formFields(c);
    const parsed = writeFromForm(fields, () => parseOrThrow(loginInput, fields));
    if (!parsed.ok) return c.html(renderLogin(c, { email: fields.email ?? "" }, parsed.form.errors), 422);
    const { email, password } = parsed.value;
    const operator = operatorByEmail(deps.catalog, email);
    const settle = deps.loginLimiter.attempt(
      { tenantId: OPERATORS_KEY, email, ip: clientIp(c, deps.config), device: undefined },
      deps.now(),
    );
    let ok = false;
    try {
      // An unknown email is checked against a decoy hash, so the time taken does not tell.
      ok = (await deps.hasher.verify(password, operator?.passwordHash)) && operator !== undefined;
    } finally {
      settle(ok, deps.now());
    }
    if (!ok || !operator)
      return c.html(renderLogin(c, { email }, {}, "The email or password is incorrect."), 401);
    const token = startOperatorSession(
      deps.catalog,
      operator.id,
      getCookie(c, OPS_SESSION_COOKIE),
      deps.now(),
    );
    setCookie(c, OPS_SESSION_COOKIE, token, {
      path: "/ops",
      httpOnly: true,
      sameSite: "Lax",
      secure: isHttps(c, deps.config),
      maxAge: OPERATOR_SESSION_MS / 1000,
    });
    return c.redirect("/ops", 303);
  });

  app.use("/ops", opsAccess(deps));
  app.use("/ops/panels", opsAccess(deps));
  app.use("/ops/logout", opsAccess(deps));
  app.use("/ops/logout", csrfProtection(deps));
  app.get("/ops", async (c) =>
    c.html(
      opsPage({
        ctx: pageContext(c as unknown as Context<AppEnv>, deps),
        operator: c.var.operator,
        signedIn: c.var.opsSession !== undefined,
        ...(await panelsProps()),
      }).value,
    ),
  );
  app.get("/ops/panels", async (c) => c.html(opsPanels(await panelsProps()).value));
  app.post("/ops/logout", (c) => {
    if (c.var.opsSession) endOperatorSession(deps.catalog, c.var.opsSession);
    deleteCookie(c, OPS_SESSION_COOKIE, { path: "/ops" });
    return c.redirect("/ops/login", 303);
  });
  return app;
}
