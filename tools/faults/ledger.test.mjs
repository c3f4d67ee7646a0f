// Unit tests of the ledger's checks and of the fault proxy:
//   node --test tools/faults/*.test.mjs   (apps/e2e/src/faults-tools.spec.ts runs them in npm test)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify, failedChecks, Ledger } from './ledger.mjs';

/** A counter operation of `requests` ([status, value] pairs) on `key`, in phase p. */
function op(ledger, key, ...requests) {
  const entries = requests.map(([status, value], i) => {
    const entry = ledger.send({ phase: 'p', kind: i === 0 ? 'counter' : 'idem-retry', gateway: 0, dueAt: 0, deadlineMs: 1000, nonce: 'n', key });
    if (status === 'hung') ledger.hang(entry, 3000);
    else {
      ledger.answer(entry, { status, doneAt: 10, body: status === 200 ? { key, value } : { type: 'urn:flowgate:problem:timeout' } });
      entry.value = value;
    }
    return entry;
  });
  ledger.operation({ phase: 'p', key, requests: entries });
}

describe('classify', () => {
  it('tells answers that took no effect from those that may have', () => {
    assert.equal(classify({ status: 200 }), 'ok');
    assert.equal(classify({ status: 202, expected: 202 }), 'ok');
    assert.equal(classify({ status: 200, expected: 202 }), 'failed');
    assert.equal(classify({ status: 400 }), 'refused');
    assert.equal(classify({ status: 503, problemType: 'urn:flowgate:problem:overloaded' }), 'refused');
    assert.equal(classify({ status: 503, problemType: 'urn:flowgate:problem:kafka-unavailable' }), 'failed');
    assert.equal(classify({ status: 504 }), 'failed');
    assert.equal(classify({ status: undefined }), 'error');
  });
});

describe('Ledger.effects', () => {
  it('passes acknowledged values 1..n with the final value n', () => {
    const ledger = new Ledger();
    op(ledger, 'a', [200, 1]);
    op(ledger, 'a', [200, 2]);
    op(ledger, 'a', [200, 3]);
    ledger.recordFinals('p', new Map([['a', 3]]));
    assert.deepEqual(ledger.effects('p'), { keys: 1, acked: 3, ambiguous: 0, lost: 0, duplicated: 0, details: [] });
  });

  it('lets ambiguous operations (504, hung) account for a final value above the acknowledged ones', () => {
    const ledger = new Ledger();
    op(ledger, 'a', [200, 1]);
    op(ledger, 'a', [504]);
    op(ledger, 'a', ['hung']);
    op(ledger, 'a', [200, 4]);
    ledger.recordFinals('p', new Map([['a', 4]]));
    const effects = ledger.effects('p');
    assert.equal(effects.lost, 0);
    assert.equal(effects.duplicated, 0);
    assert.equal(effects.ambiguous, 2);
  });

  it('counts a final value above acknowledged + ambiguous as duplicated', () => {
    const ledger = new Ledger();
    op(ledger, 'a', [200, 1]);
    op(ledger, 'a', [200, 3]);
    ledger.recordFinals('p', new Map([['a', 3]]));
    assert.equal(ledger.effects('p').duplicated, 1);
  });

  it('counts a repeated acknowledged value as duplicated', () => {
    const ledger = new Ledger();
    op(ledger, 'a', [200, 1]);
    op(ledger, 'a', [200, 1]);
    ledger.recordFinals('p', new Map([['a', 2]]));
    assert.equal(ledger.effects('p').duplicated, 1);
  });

  it('counts a final value below the acknowledged count, or below an acknowledged value, as lost', () => {
    const below = new Ledger();
    op(below, 'a', [200, 1]);
    op(below, 'a', [200, 2]);
    below.recordFinals('p', new Map([['a', 1]]));
    assert.equal(below.effects('p').lost, 1);
    const rolledBack = new Ledger();
    op(rolledBack, 'b', [504]);
    op(rolledBack, 'b', [200, 2]);
    rolledBack.recordFinals('p', new Map([['b', 1]]));
    assert.equal(rolledBack.effects('p').lost, 1);
  });

  it('an idempotent pair is one effect, and its two answers must agree', () => {
    const ledger = new Ledger();
    op(ledger, 'i', [200, 1], [200, 1]);
    op(ledger, 'i', [504], [200, 2]);
    ledger.recordFinals('p', new Map([['i', 2]]));
    assert.deepEqual(ledger.effects('p'), { keys: 1, acked: 2, ambiguous: 0, lost: 0, duplicated: 0, details: [] });
    const disagree = new Ledger();
    op(disagree, 'i', [200, 1], [200, 2]);
    disagree.recordFinals('p', new Map([['i', 2]]));
    assert.ok(disagree.effects('p').duplicated >= 1);
  });

  it('an unread final value loses every acknowledged effect', () => {
    const ledger = new Ledger();
    op(ledger, 'a', [200, 1]);
    ledger.recordFinals('p', new Map());
    assert.equal(ledger.effects('p').lost, 1);
  });
});

describe('Ledger checks', () => {
  it('fails on a hung request, an answer for another caller, an async request never final or final twice', () => {
    const ledger = new Ledger();
    const hung = ledger.send({ phase: 'p', kind: 'echo', gateway: 0, dueAt: 0, deadlineMs: 100, nonce: 'x' });
    ledger.hang(hung, 5000);
    const wrong = ledger.send({ phase: 'p', kind: 'echo', gateway: 1, dueAt: 0, deadlineMs: 100, nonce: 'mine' });
    ledger.answer(wrong, { status: 200, doneAt: 5, body: { nonce: 'theirs' }, nonceOf: (b) => b.nonce });
    const accepted = ledger.send({ phase: 'p', kind: 'async', gateway: 0, dueAt: 0, deadlineMs: 100, nonce: 'a' });
    ledger.answer(accepted, { status: 202, expected: 202, doneAt: 5, body: {} });
    const never = ledger.acceptAsync({ phase: 'p', entry: accepted, location: '/v1/requests/x' });
    ledger.pollAsync(never, { state: 'pending', at: 1 });
    const twice = ledger.acceptAsync({ phase: 'p', entry: accepted, location: '/v1/requests/y' });
    ledger.pollAsync(twice, { state: 'succeeded', nonce: 'a', at: 1 });
    ledger.pollAsync(twice, { state: 'timed_out', at: 2 });
    ledger.recordFinals('p', new Map());
    const summary = ledger.summary('p');
    assert.equal(summary.hung, 1);
    assert.equal(summary.wrongCaller, 1);
    assert.equal(summary.asyncNotFinal, 1);
    assert.equal(summary.asyncChanged, 1);
    assert.equal(failedChecks(summary).length, 4);
  });

  it('passes a clean phase, failed and refused answers included', () => {
    const ledger = new Ledger();
    const ok = ledger.send({ phase: 'p', kind: 'echo', gateway: 0, dueAt: 0, deadlineMs: 100, nonce: 'x' });
    ledger.answer(ok, { status: 200, doneAt: 5, body: { nonce: 'x' }, nonceOf: (b) => b.nonce });
    const shed = ledger.send({ phase: 'p', kind: 'echo', gateway: 0, dueAt: 0, deadlineMs: 100, nonce: 'y' });
    ledger.answer(shed, { status: 503, problemType: 'urn:flowgate:problem:overloaded', retryAfter: '1', doneAt: 5, body: {} });
    const late = ledger.send({ phase: 'p', kind: 'echo', gateway: 0, dueAt: 0, deadlineMs: 100, nonce: 'z' });
    ledger.answer(late, { status: 504, doneAt: 105, body: {} });
    ledger.recordFinals('p', new Map());
    const summary = ledger.summary('p');
    assert.deepEqual([summary.ok, summary.refused, summary.failed, summary.hung], [1, 1, 1, 0]);
    assert.deepEqual(failedChecks(summary), []);
  });
});

describe('Ledger.recovery', () => {
  const at = (ledger, dueAt, latencyMs, status = 200) => {
    const entry = ledger.send({ phase: 'p', kind: 'echo', gateway: 0, dueAt, deadlineMs: 1000, nonce: 'n' });
    ledger.answer(entry, { status, doneAt: dueAt + latencyMs, body: { nonce: 'n' }, nonceOf: (b) => b.nonce });
  };

  it('is the first second from which a 3 s window is back within 2 x the pre-fault p99', () => {
    const ledger = new Ledger();
    for (let t = 0; t < 10_000; t += 10) at(ledger, t, 20); // before: p99 20 ms
    for (let t = 10_000; t < 14_000; t += 10) at(ledger, t, 500); // the fault and 4 s after the heal at 10 s
    for (let t = 14_000; t < 20_000; t += 10) at(ledger, t, 25);
    const r = ledger.recovery({ phase: 'p', injectAt: 10_000, healAt: 10_000, baselineMs: 10_000 });
    assert.equal(r.baselineP99, 20);
    assert.equal(r.seconds, 4);
  });

  it('is not recovered while failures stay above the pre-fault share', () => {
    const ledger = new Ledger();
    for (let t = 0; t < 10_000; t += 10) at(ledger, t, 20);
    for (let t = 10_000; t < 20_000; t += 10) at(ledger, t, 5, t % 50 === 0 ? 504 : 200);
    assert.equal(ledger.recovery({ phase: 'p', injectAt: 10_000, healAt: 10_000, baselineMs: 10_000 }).seconds, undefined);
  });
});
