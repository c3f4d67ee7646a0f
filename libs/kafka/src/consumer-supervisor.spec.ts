import { EventEmitter } from 'node:events';
import type { Consumer } from 'kafkajs';
import { ConsumerSupervisor, RestartedBy } from './consumer-supervisor';

/** Just what the supervisor touches of a kafkajs consumer: events, CRASH, disconnect. */
class FakeConsumer extends EventEmitter {
  readonly events = { CRASH: 'consumer.crash' };
  disconnected = false;
  crash(restart: boolean): void {
    this.emit(this.events.CRASH, { payload: { error: new Error('broker gone'), restart } });
  }
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
}

function supervised(options: { runFails?: number } = {}) {
  const created: FakeConsumer[] = [];
  const crashes: RestartedBy[] = [];
  let failures = options.runFails ?? 0;
  const supervisor = new ConsumerSupervisor({
    create: () => {
      const consumer = new FakeConsumer();
      created.push(consumer);
      return consumer as unknown as Consumer;
    },
    run: async () => {
      if (created.length > 1 && failures-- > 0) throw new Error('still down');
    },
    onCrash: (_error, by) => crashes.push(by),
    backoffMs: 5,
  });
  return { supervisor, created, crashes };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('ConsumerSupervisor', () => {
  it('leaves a crash kafkajs restarts itself to kafkajs', async () => {
    const { supervisor, created, crashes } = supervised();
    await supervisor.start();
    created[0].crash(true);
    await settle();
    expect(created).toHaveLength(1);
    expect(crashes).toEqual(['kafkajs']);
  });

  it('replaces a consumer kafkajs gave up on, and hands out the replacement', async () => {
    const { supervisor, created, crashes } = supervised();
    await supervisor.start();
    created[0].crash(false);
    await settle();
    expect(created).toHaveLength(2);
    expect(created[0].disconnected).toBe(true);
    expect(supervisor.consumer).toBe(created[1]);
    expect(crashes).toEqual(['supervisor']);
  });

  it('keeps trying when the replacement cannot start yet', async () => {
    const { supervisor, created } = supervised({ runFails: 2 });
    await supervisor.start();
    created[0].crash(false);
    await settle();
    expect(created).toHaveLength(4);
    expect(supervisor.consumer).toBe(created[3]);
  });

  it('replaces nothing once stopped', async () => {
    const { supervisor, created } = supervised();
    await supervisor.start();
    created[0].crash(false);
    await supervisor.stop();
    await settle();
    expect(created).toHaveLength(1);
  });
});
