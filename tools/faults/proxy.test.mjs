// The fault proxy against a real TCP echo server on loopback.
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FaultProxy } from './proxy.mjs';

let echo;
let proxy;

before(async () => {
  echo = createServer((socket) => socket.on('error', () => {}).pipe(socket));
  await new Promise((r) => echo.listen(0, '127.0.0.1', r));
  proxy = await new FaultProxy({ listenPort: 0, upstreamPort: echo.address().port }).start();
});
after(async () => {
  await proxy.stop();
  await new Promise((r) => echo.close(r));
});

/** A client that collects what comes back, and how long the first byte of each write took. */
function client() {
  const socket = connect({ port: proxy.listenPort, host: '127.0.0.1' });
  let received = '';
  const waiters = [];
  socket.on('data', (d) => {
    received += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise((r) => socket.on('close', r));
  socket.on('error', () => {});
  return {
    socket,
    closed,
    received: () => received,
    /** Writes `text` and resolves with ms until the echo is back in full. */
    roundTrip: async (text) => {
      const started = Date.now();
      const want = received + text;
      socket.write(text);
      while (received !== want) await new Promise((r) => waiters.push(r));
      return Date.now() - started;
    },
  };
}

describe('FaultProxy', () => {
  it('pipes both ways, and delay() adds its time each way, in order', async () => {
    // Bounds from below only where the machine's load could stretch a time: delays only add.
    const c = client();
    await c.roundTrip('plain');
    proxy.delay(400);
    const slow = await c.roundTrip('slow');
    assert.ok(slow >= 790, `round trip ${slow} ms with 400 ms each way`);
    proxy.heal();
    const fast = await c.roundTrip('fast again');
    assert.ok(fast < slow - 400, `round trip ${fast} ms after heal, ${slow} ms delayed`);
    assert.equal(c.received(), 'plainslowfast again');
    c.socket.destroy();
  });

  it('stall() holds every byte until heal(), then delivers them all', async () => {
    const c = client();
    await c.roundTrip('before');
    proxy.stall();
    const trip = c.roundTrip('held');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(c.received(), 'before');
    proxy.heal();
    await trip;
    assert.equal(c.received(), 'beforeheld');
    c.socket.destroy();
  });

  it('reset() ends every connection and refuses new ones until heal()', async () => {
    const c = client();
    await c.roundTrip('x');
    proxy.reset();
    await c.closed;
    const refused = client();
    await refused.closed;
    proxy.heal();
    const again = client();
    await again.roundTrip('back');
    assert.equal(again.received(), 'back');
    again.socket.destroy();
  });
});
