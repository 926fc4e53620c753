import { type Context, Hono } from "hono";
import { type AccountNotice, type AccountPageProps, accountPage } from "../../views/account/account-page.ts";
import type { AuthDeps } from "../auth/auth-deps.ts";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "../auth/password-hasher.ts";
import { requireSignedIn, setSessionCookie } from "../auth/session-middleware.ts";
import { sessionPolicy, startSession } from "../auth/sessions.ts";
import { ForbiddenError } from "../core/errors.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { type FormWrite, writeFromForm } from "../http/form-write.ts";
import { clientIp } from "../http/https.ts";
import { formFields, pageContext } from "../http/page-context.ts";
import { changeName, NAME_MAX_LENGTH } from "./change-name.ts";
import { changePassword } from "./change-password.ts";

type C = Context<ViewerEnv>;

const NOTICES = new Set<AccountNotice>(["name", "password", "reset"]);

/** /account: the signed-in user's own name and password (a person's page: API keys have none). */
export function accountRoutes(deps: AppDeps & AuthDeps) {
  const app = new Hono<ViewerEnv>();
  const policy = sessionPolicy(deps.config);
  app.use(requireSignedIn);

  const userOf = (c: C) => {
    const viewer = c.var.viewer;
    if (viewer.kind !== "user") throw new ForbiddenError("only a person has an account page");
    return viewer;
  };
  const base = (c: C) => `/t/${c.var.tenant.slug}`;

  const render = (c: C, extra: Partial<AccountPageProps> = {}) => {
    const viewer = userOf(c);
    const done = c.req.query("done") as AccountNotice | undefined;
    return accountPage({
      ctx: pageContext(c, deps),
      base: base(c),
      email: viewer.email,
      role: viewer.role,
      nameForm: { values: { name: viewer.name }, errors: {} },
      passwordForm: { values: {}, errors: {} },
      done: done && NOTICES.has(done) ? done : undefined,
      nameMaxLength: NAME_MAX_LENGTH,
      passwordMinLength: PASSWORD_MIN_LENGTH,
      passwordMaxLength: PASSWORD_MAX_LENGTH,
      ...extra,
    }).value;
  };

  app.get("/", (c) => c.html(render(c)));

  app.post("/name", async (c) => {
    const viewer = userOf(c);
    const fields = await formFields(c);
    const done = writeFromForm({ name: fields.name ?? "" }, () =>
      changeName(c.var.shard, viewer.id, fields, deps.now()),
    );
    if (!done.ok) return c.html(render(c, { nameForm: done.form, done: undefined }), 422);
    return c.redirect(`${base(c)}/account?done=name`, 303);
  });

  app.post("/password", async (c) => {
    const viewer = userOf(c);
    const fields = await formFields(c);
    // A wrong current password counts as a failed sign-in from this address: guessing it from a
    // session left open is slowed as sign-in guessing is, and the owner's known devices still
    // sign in (login-limiter.ts).
    const settle = deps.loginLimiter.attempt(
      { tenantId: c.var.tenant.id, email: viewer.email, ip: clientIp(c, deps.config) },
      deps.now(),
    );
    let currentRight = false;
    let done: FormWrite<void>;
    try {
      done = await writeFromForm({}, () =>
        changePassword(c.var.shard, deps.hasher, viewer.id, fields, deps.now),
      );
      currentRight = done.ok || !done.issues.some((issue) => issue.field === "currentPassword");
    } finally {
      settle(currentRight, deps.now());
    }
    if (!done.ok) return c.html(render(c, { passwordForm: done.form, done: undefined }), 422);
    // Every session of the user ended with the change, this one too: a fresh one for this browser.
    const token = startSession(c.var.shard, viewer.id, policy, undefined, deps.now());
    setSessionCookie(c, deps, c.var.tenant.slug, token, policy);
    return c.redirect(`${base(c)}/account?done=password`, 303);
  });

  return app;
}
