/** Rows per multi-row INSERT, largest first: a few statement shapes per connection (ADR 0006), not one per count. */
const SIZES = [32, 8, 1] as const;

/** How to insert `count` rows with multi-row INSERTs: the sizes of the successive statements (32s, then 8s, then 1s). */
export function insertGroups(count: number): number[] {
  const groups: number[] = [];
  let left = count;
  for (const size of SIZES) {
    while (left >= size) {
      groups.push(size);
      left -= size;
    }
  }
  return groups;
}
