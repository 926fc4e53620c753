/** Lower-case letters, digits and inner hyphens, 2–40 characters: safe in a URL, a path and a log line. */
const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])$/;

/** Names that would read as parts of the product rather than a workspace. */
const RESERVED = new Set([
  "admin",
  "api",
  "app",
  "assets",
  "login",
  "logout",
  "signup",
  "static",
  "www",
  "t",
]);

/** Returns why `slug` is not a valid workspace slug, or undefined when it is. */
export function slugProblem(slug: string): string | undefined {
  if (!SLUG_PATTERN.test(slug)) {
    return "use 2–40 lower-case letters, digits and hyphens, starting and ending with a letter or digit";
  }
  if (slug.includes("--")) return "must not contain two hyphens in a row";
  if (RESERVED.has(slug)) return "is reserved";
  return undefined;
}

export function isValidSlug(slug: string): boolean {
  return slugProblem(slug) === undefined;
}
