import type { LoginLimiter } from "./login-limiter.ts";
import type { PasswordHasher } from "./password-hasher.ts";
import type { ResetLimiter } from "./reset-limiter.ts";

/** What the sign-in, sign-up and invitation routes need beside the app's common parts. */
export interface AuthDeps {
  /** argon2id with bounded concurrency: hashing is the most expensive thing a request can ask for. */
  hasher: PasswordHasher;
  loginLimiter: LoginLimiter;
  /** Password-reset mails per address and per workspace. */
  resetLimiter: ResetLimiter;
}
