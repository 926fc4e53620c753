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
