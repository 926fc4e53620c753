/**
 * How long Bun.serve (start-server.ts) lets a connection be: it counts from the request's head
 * while the handler reads the body, however steadily the bytes come (Bun 1.4), so a body that
 * takes longer to arrive is cut off (ECONNRESET) unless its route lifts it for that request.
 */
export const SERVER_IDLE_SECONDS = 30;

/** The part of Bun's server (a route's `c.env`) that sets one request's idle timeout; 0: none. */
interface IdleTimeoutServer {
  timeout(request: Request, seconds: number): void;
}

/** `c.env` as Bun's server when it is one (under `app.request` in a unit test it is not). */
function idleTimeoutServer(env: unknown): IdleTimeoutServer | undefined {
  const timeout = (env as { timeout?: unknown } | undefined)?.timeout;
  return typeof timeout === "function" ? (env as IdleTimeoutServer) : undefined;
}

/**
 * Runs `work` with `request`'s idle timeout lifted (a body that takes long to arrive, an answer
 * that takes long to make), and puts SERVER_IDLE_SECONDS back once it ended, however it ended.
 */
export async function withoutIdleTimeout<T>(
  env: unknown,
  request: Request,
  work: () => Promise<T>,
): Promise<T> {
  const server = idleTimeoutServer(env);
  server?.timeout(request, 0);
  try {
    return await work();
  } finally {
    server?.timeout(request, SERVER_IDLE_SECONDS);
  }
}
