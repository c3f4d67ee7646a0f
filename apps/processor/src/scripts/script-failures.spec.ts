import type { ScriptVersionRecord } from '@flowgate/contracts';
import { LoadedScript, ScriptCallError } from '@flowgate/scripts';
import { LoadedVersion } from './loaded-version';
import { scriptFailureReply } from './script-failures';

const record: ScriptVersionRecord = {
  name: 'quote', version: 3, source: '', manifest: { kind: 'route', limits: { cpuMs: 20 } }, sha256: '', uploadedAt: '', uploadedBy: '',
};
const script = new LoadedVersion(record, {} as LoadedScript, () => undefined);
const reply = (error: ScriptCallError) => scriptFailureReply(script, error, 'req-1');

describe('scriptFailureReply', () => {
  it('answers a RouteError below 500 with its code and status, without a dead letter', () => {
    expect(reply(new ScriptCallError('error', 'qty must be at least 1', 'bad-quantity', 422))).toEqual({
      problem: { type: 'urn:flowgate:script-error:bad-quantity', title: 'bad-quantity', status: 422, detail: 'qty must be at least 1', requestId: 'req-1' },
    });
    // One of flowgate's own problems keeps its type; no status means 400.
    expect(reply(new ScriptCallError('error', 'no such customer', 'notFound'))).toEqual({
      problem: { type: 'urn:flowgate:problem:not-found', title: 'Not found', status: 400, detail: 'no such customer', requestId: 'req-1' },
    });
  });

  it('dead-letters a RouteError of 500 and up, and one with a status that is no error status', () => {
    expect(reply(new ScriptCallError('error', 'upstream down', 'upstream', 503))).toMatchObject({
      problem: { status: 503 }, deadLetter: 'script quote@3 threw RouteError upstream (503): upstream down',
    });
    expect(reply(new ScriptCallError('error', 'odd', 'odd', 200))).toMatchObject({ problem: { status: 500 }, deadLetter: expect.stringMatching(/RouteError odd \(500\)/) });
  });

  it('answers a throw with 500 handler-failed, the message only in the dead letter', () => {
    expect(reply(new ScriptCallError('error', 'TypeError: x is undefined'))).toEqual({
      problem: { type: 'urn:flowgate:problem:handler-failed', title: 'Handler failed', status: 500, detail: 'script quote@3 failed', requestId: 'req-1' },
      deadLetter: 'script quote@3 threw: TypeError: x is undefined',
    });
  });

  it('names the limit a call ran over: the manifest\'s, or the default', () => {
    expect(reply(new ScriptCallError('budget', 'used more than its 20 ms'))).toMatchObject({
      problem: { status: 500, detail: 'script quote@3 ran over its CPU budget of 20 ms' },
      deadLetter: 'script quote@3: CPU budget of 20 ms exceeded: used more than its 20 ms',
    });
    expect(reply(new ScriptCallError('memory', 'out of memory'))).toMatchObject({
      problem: { status: 500, detail: 'script quote@3 ran over its memory cap of 32 MiB' },
      deadLetter: 'script quote@3: memory cap of 32 MiB exceeded: out of memory',
    });
  });
});
