import type { WorkerPool } from "../workers/pool.ts";

/** What to do on this thread when a run ends: an audit line, removing a file nobody will fetch. */
export interface RunObserver {
  done?(result: unknown): void;
  failed?(error: unknown): void;
}

/**
 * The pool as startInBackground sees it, telling `observer` how each run ended, on the server's
 * thread, before the task's outcome is recorded. Everything else is the pool itself.
 */
export function observedPool(pool: WorkerPool, observer: RunObserver): WorkerPool {
  const run: WorkerPool["run"] = <T>(...args: Parameters<WorkerPool["run"]>) =>
    pool.run<T>(...args).then(
      (result) => {
        observer.done?.(result);
        return result;
      },
      (error: unknown) => {
        observer.failed?.(error);
        throw error;
      },
    );
  return new Proxy(pool, {
    get(target, key) {
      if (key === "run") return run;
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
