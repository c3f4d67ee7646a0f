import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stackEnv } from './support/stack';

const CLI = resolve(__dirname, '../../../tools/faults/cli.mjs');

interface FaultSummary {
  sent: number;
  ok: number;
  hung: number;
  lost: number;
  duplicated: number;
  wrongCaller: number;
  asyncAccepted: number;
  asyncNotFinal: number;
  asyncChanged: number;
  acked: number;
  byKind: Record<string, { sent: number; ok: number }>;
}
interface FaultsResult {
  faults: { name: string; summary: FaultSummary; failures: string[] }[];
  failures: string[];
}

/**
 * The short fault schedule of `npm run faults` (tools/faults), on the test run's Kafka and Redis:
 * two gateways, two processors (exactly-once), two sweepers under steady mixed load (echo,
 * counter increments, async requests, idempotent retries), while a processor and a gateway are
 * SIGKILLed and started again and Redis turns 100 ms slower each way for 8 s. The same ledger
 * checks as the full run, per fault.
 */
describe('faults: kills and a slow Redis under mixed load, with a ledger of every request', () => {
  let result: FaultsResult;
  let output = '';
  let code: number | null;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowgate-faults-'));
    const out = join(dir, 'faults.json');
    const logFile = join(dir, 'faults.log');
    // 30 requests/s and one sweeper: steady load that a busy 2-core machine serves next to the
    // other suites; the slack (10 s past the deadline before a caller counts as hung) absorbs
    // the gateways' timers firing late on a starved CPU, not a caller left waiting forever.
    const child = spawn(process.execPath, [CLI, '--short', '--rate', '30', '--sweepers', '1', '--slack', '10', '--out', out], {
      env: { ...process.env, ...stackEnv() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(logFile);
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-20_000);
        log.write(chunk);
      });
    }
    // The run bounds itself; this guard only makes a stuck run fail here with its output.
    const guard = setTimeout(() => child.kill('SIGTERM'), 400_000);
    code = await new Promise((done) => child.once('exit', (exitCode) => done(exitCode)));
    clearTimeout(guard);
    log.end();
    try {
      result = JSON.parse(readFileSync(out, 'utf8')) as FaultsResult;
    } catch {
      throw new Error(`the fault run wrote no result (exit ${code}; its output: ${logFile}):\n${output.slice(-5_000)}`);
    }
  }, 420_000);

  it('ran the three faults under load, every kind of request answered', () => {
    expect(result.faults.map((f) => f.name)).toEqual(['processor-kill', 'gateway-kill', 'redis-delay']);
    for (const { name, summary } of result.faults) {
      expect({ name, sent: summary.sent > 200 }).toEqual({ name, sent: true });
      for (const kind of ['echo', 'counter', 'async', 'idem', 'idem-retry']) {
        expect({ name, kind, answered: (summary.byKind[kind]?.ok ?? 0) > 0 }).toEqual({ name, kind, answered: true });
      }
      // Counter effects were acknowledged, so the exactly-once check below had something to check.
      expect({ name, acked: summary.acked > 0, asyncAccepted: summary.asyncAccepted > 0 }).toEqual({ name, acked: true, asyncAccepted: true });
    }
  });

  it('no caller hung, no effect was lost or duplicated, no reply went to the wrong caller, every async request ended once', () => {
    const checks = result.faults.map(({ name, summary: s }) => ({
      name, hung: s.hung, lost: s.lost, duplicated: s.duplicated, wrongCaller: s.wrongCaller, asyncNotFinal: s.asyncNotFinal, asyncChanged: s.asyncChanged,
    }));
    expect(checks).toEqual(result.faults.map(({ name }) => ({ name, hung: 0, lost: 0, duplicated: 0, wrongCaller: 0, asyncNotFinal: 0, asyncChanged: 0 })));
    expect(result.failures).toEqual([]);
    expect({ code, output: code === 0 ? '' : output.slice(-3_000) }).toEqual({ code: 0, output: '' });
  });
});
