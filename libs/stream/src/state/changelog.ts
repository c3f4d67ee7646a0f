import type { StateChange } from './keyed-store';

/**
 * Changelog records: key `<store>\0<key>`, value the JSON state or null (a tombstone, so
 * compaction forgets deleted keys). A barrier record (key `\0barrier`) carries a token a task
 * writes when it takes a partition: reading the changelog until that token proves the state is
 * complete, whatever its last records were (transaction markers are invisible to readers).
 */
const BARRIER_KEY = '\u0000barrier';

export function changelogTopic(prefix: string, job: string): string {
  return `${prefix}${job}.changelog`;
}

export function encodeChange(change: StateChange): { key: string; value: string | null } {
  return { key: `${change.store}\u0000${change.key}`, value: change.value === undefined ? null : JSON.stringify(change.value) };
}

export function encodeBarrier(token: string): { key: string; value: string } {
  return { key: BARRIER_KEY, value: token };
}

export type ChangelogEntry = { readonly kind: 'change'; readonly change: StateChange } | { readonly kind: 'barrier'; readonly token: string };

export function decodeChangelog(key: Buffer | null, value: Buffer | null): ChangelogEntry {
  const text = key?.toString('utf8') ?? '';
  if (text === BARRIER_KEY) return { kind: 'barrier', token: value?.toString('utf8') ?? '' };
  const split = text.indexOf('\u0000');
  if (split < 0) throw new Error(`changelog key without a store: ${JSON.stringify(text)}`);
  return {
    kind: 'change',
    change: { store: text.slice(0, split), key: text.slice(split + 1), value: value === null ? undefined : JSON.parse(value.toString('utf8')) },
  };
}
