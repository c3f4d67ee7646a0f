import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';

/** A misconfigured app refuses to start: exit code 1, every bad variable named in one go. */
describe('invalid configuration', () => {
  const cluster = new Cluster('config');
  afterAll(() => cluster.stopAll());

  async function exitOf(app: AppProcess): Promise<number | null | 'still running'> {
    let timer: NodeJS.Timeout | undefined;
    const running = new Promise<'still running'>((resolve) => {
      timer = setTimeout(() => resolve('still running'), 20_000);
    });
    try {
      return await Promise.race([app.exited, running]);
    } finally {
      clearTimeout(timer);
    }
  }

  it('gateway: a non-numeric port and a zero in-flight limit -> exit 1 naming both', async () => {
    const gateway = await cluster.start('gateway', { FLOWGATE_GATEWAY_PORT: 'eighty', FLOWGATE_MAX_INFLIGHT: '0' }, { waitReady: false });
    expect(await exitOf(gateway)).toBe(1);
    expect(gateway.logs).toContain('FLOWGATE_GATEWAY_PORT');
    expect(gateway.logs).toContain('FLOWGATE_MAX_INFLIGHT');
    expect(gateway.logs).toMatch(/FLOWGATE_GATEWAY_PORT="eighty": must be a whole number/);
    expect(gateway.logs).toMatch(/FLOWGATE_MAX_INFLIGHT="0": must be between 1 and/);
  });

  it('processor: a negative partition concurrency -> exit 1 naming it', async () => {
    const processor = await cluster.start('processor', { FLOWGATE_PARTITION_CONCURRENCY: '-1' }, { waitReady: false });
    expect(await exitOf(processor)).toBe(1);
    expect(processor.logs).toMatch(/FLOWGATE_PARTITION_CONCURRENCY="-1": must be between 1 and/);
  });
});
