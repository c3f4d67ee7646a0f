import { logProcessWarnings } from './bootstrap';

const warning = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('logProcessWarnings', () => {
  let saved: NodeJS.WarningListener[];
  beforeEach(() => {
    saved = process.listeners('warning');
  });
  afterEach(() => {
    process.removeAllListeners('warning');
    for (const listener of saved) process.on('warning', listener);
  });

  it('logs process warnings through the app logger instead of Node\'s printer, without kafkajs\'s TimeoutNegativeWarning', () => {
    const warned: string[] = [];
    logProcessWarnings({ log: () => undefined, error: () => undefined, warn: (message: string) => warned.push(message) });
    expect(process.listeners('warning')).toHaveLength(1);
    process.emit('warning', warning('TimeoutNegativeWarning', '-1796011080512 is a negative number.'));
    process.emit('warning', warning('ExperimentalWarning', 'something to look at'));
    expect(warned).toEqual(['ExperimentalWarning: something to look at']);
  });
});
