import { Hono } from "hono";
import { landingPage } from "../../views/auth/landing-page.ts";
import { signupPage } from "../../views/auth/signup-page.ts";
import { parseOrThrow } from "../core/validation.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { writeFromForm } from "../http/form-write.ts";
import { clientIp } from "../http/https.ts";
import { formFields, pageContext } from "../http/page-context.ts";
import { isValidSlug } from "../tenancy/slug.ts";
import type { AuthDeps } from "./auth-deps.ts";
import { createTenant } from "./create-tenant.ts";
import { newTenantInput } from "./new-tenant-input.ts";
import { setSessionCookie } from "./session-middleware.ts";
import { sessionPolicy, startSession } from "./sessions.ts";
import { SignupLimiter } from "./signup-limiter.ts";

/**
 * The start page and sign-up: a new business gets its workspace and its owner account in one
 * step, a few per address and a bounded number for everyone in a while (SignupLimiter).
 */
export function signupRoutes(deps: AppDeps & AuthDeps) {
  const app = new Hono<AppEnv>();
  const policy = sessionPolicy(deps.config);
  const limiter = new SignupLimiter(deps.config);

  app.get("/", (c) => c.html(landingPage(pageContext(c, deps)).value));

  /** "Go to your workspace": turns a typed slug into its sign-in page. */
  app.get("/go", (c) => {
    const slug = (c.req.query("workspace") ?? "").trim().toLowerCase();
    const tenant = isValidSlug(slug) ? deps.catalog.findBySlug(slug) : undefined;
    if (tenant?.status !== "active") {
      return c.html(landingPage(pageContext(c, deps), "There is no workspace at that address.").value, 404);
    }
    return c.redirect(`/t/${tenant.slug}/login`, 303);
  });

  app.get("/signup", (c) =>
    c.html(signupPage({ ctx: pageContext(c, deps), form: { values: {}, errors: {} } }).value),
  );

  app.post("/signup", async (c) => {
    const fields = await formFields(c);
    const created = await writeFromForm(fields, () => {
      const input = parseOrThrow(newTenantInput, fields);
      // Counted once the form is valid: a typo costs nothing, every attempt that would provision does.
      limiter.take(clientIp(c, deps.config), deps.now());
      return createTenant(deps.catalog, deps.hasher, input);
    });
    if (!created.ok) return c.html(signupPage({ ctx: pageContext(c, deps), form: created.form }).value, 422);
    const { tenant, owner } = created.value;
    const token = await deps.shards.use(tenant, (shard) =>
      startSession(shard, owner.id, policy, undefined, deps.now()),
    );
    setSessionCookie(c, deps, tenant.slug, token, policy);
    return c.redirect(`/t/${tenant.slug}/contacts`, 303);
  });

  return app;
}
