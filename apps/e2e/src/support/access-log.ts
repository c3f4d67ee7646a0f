import type { AppProcess } from './app-process';

export interface AccessLine {
  readonly ts: number;
  readonly ip: string;
}

/** Sends access-log lines as NDJSON through the gateway; resolves once it answered 202 with all accepted. */
export async function ingestAccessLog(gateway: AppProcess, lines: readonly AccessLine[]): Promise<void> {
  const res = await fetch(`${gateway.url}/v1/ingest/access-log`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: lines.map((l) => JSON.stringify(l)).join('\n'),
  });
  const body = await res.text();
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${body}`);
  const { accepted, rejected } = JSON.parse(body) as { accepted: number; rejected: number };
  if (accepted !== lines.length || rejected !== 0) throw new Error(`ingest accepted ${accepted} of ${lines.length} lines: ${body}`);
}

/** A start of a 5 s window far enough back that no window of the test is "now". */
export function windowAlignedPast(minutesBack: number): number {
  return Math.floor(Date.now() / 5_000) * 5_000 - minutesBack * 60_000;
}
