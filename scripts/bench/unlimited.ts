/**
 * Benchmarks measure what a process can do: the server's rate limits (CRM_RATE_LIMIT_*, 400
 * requests a second per address and per workspace by default) would cap every figure at the
 * limit. Imported first by every benchmark that starts a server or the app; an environment that
 * sets the limits keeps them.
 */
process.env.CRM_RATE_LIMIT_PER_ADDRESS ??= "0";
process.env.CRM_RATE_LIMIT_PER_WORKSPACE ??= "0";
