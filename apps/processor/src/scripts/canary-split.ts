/**
 * Which side of a canary split a key falls on. FNV-1a (32 bit) of the key's UTF-8 bytes, then
 * murmur3's finalizer (FNV alone leaves keys that differ in their last characters, `c1`, `c2`…,
 * bunched in the high bits), scaled to [0, 1): the same key lands on the same side on every processor and after every restart, so a
 * customer does not flip between versions from one request to the next.
 *
 * @example
 * inCanary('customer-42', 0.1) // true for about one key in ten, always the same ones
 */
export function inCanary(key: string, share: number): boolean {
  return canaryPoint(key) < share;
}

/** The key's place in [0, 1). */
export function canaryPoint(key: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 2 ** 32;
}
