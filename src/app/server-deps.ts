import type { AuthDeps } from "../auth/auth-deps.ts";
import type { AppDeps } from "../http/app-env.ts";
import type { MailDeps } from "../mail/mail-deps.ts";

/** Everything the composition root makes once per server: the common parts and each capability's own. */
export type ServerDeps = AppDeps & AuthDeps & MailDeps;
