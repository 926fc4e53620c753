/**
 * Page ETags name the minute (src/app/conditional-page.ts: pages say "today" and "overdue"),
 * so a 200 and its revalidation on either side of a minute's end rightly differ. A test that
 * expects the 304 starts well inside a minute: if the next one begins within `marginMs`, it
 * waits for it (at most `marginMs`).
 */
export async function clearOfMinuteEdge(marginMs = 4000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < marginMs) await Bun.sleep(left + 50);
}

/**
 * Runs `reads` (requests that change nothing, and their assertions) so that a failure caused by
 * a minute ending in the middle of it is told apart from a real one: it starts clear of a
 * minute's edge, and if it fails after a minute ended while it ran (a loaded machine can stretch
 * a few requests past the margin), it runs again in the new minute, at most three times in all.
 * A failure within one minute is thrown at once: nothing real is retried away.
 */
export async function inOneMinute<T>(reads: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    await clearOfMinuteEdge();
    const minute = Math.floor(Date.now() / 60_000);
    try {
      return await reads();
    } catch (error) {
      if (attempt >= 3 || Math.floor(Date.now() / 60_000) === minute) throw error;
    }
  }
}
