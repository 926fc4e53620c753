/**
 * What every benchmark that starts a server or the app runs with, imported first; an
 * environment that sets any of these keeps its own:
 * - no rate limits (CRM_RATE_LIMIT_*: 400 requests a second per address and per workspace, 200
 *   per API key by default), which would cap every figure at the limit: benchmarks measure what
 *   a process can do;
 * - one server process (CRM_PROCS, one per core by default), so that a figure is one process's
 *   unless the benchmark asks for a group (--procs).
 */
process.env.CRM_RATE_LIMIT_PER_ADDRESS ??= "0";
process.env.CRM_RATE_LIMIT_PER_WORKSPACE ??= "0";
process.env.CRM_RATE_LIMIT_PER_KEY ??= "0";
process.env.CRM_PROCS ??= "1";
