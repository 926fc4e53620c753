/**
 * Why a load test could not start (no wrk, an unreachable server, a URL without a workspace,
 * refused credentials, an unknown scenario): one line for the operator, exit 2, nothing run.
 */
export class LoadtestError extends Error {}
