/** Runs `work` while a 1 ms timer measures the event loop's worst lag; returns both. */
export async function withLag<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; lag: number }> {
  let worst = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  // Let the timer start ticking before the work begins.
  await Bun.sleep(5);
  last = performance.now();
  const started = performance.now();
  const value = await work();
  const ms = performance.now() - started;
  await Bun.sleep(2);
  clearInterval(timer);
  return { value, ms, lag: Math.max(0, worst) };
}
