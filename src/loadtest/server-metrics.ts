/**
 * The server's resident memory in bytes, all its processes together (with --procs the group's
 * sum), from /metrics; undefined when /metrics cannot be read (off the loopback without
 * CRM_METRICS_TOKEN, or the server is gone).
 */
export async function serverRssBytes(origin: string): Promise<number | undefined> {
  try {
    const answer = await fetch(`${origin}/metrics`);
    const text = await answer.text();
    if (answer.status !== 200) return undefined;
    const bytes = /^process_resident_memory_bytes (\S+)$/m.exec(text)?.[1];
    return bytes === undefined ? undefined : Number(bytes);
  } catch {
    return undefined;
  }
}
