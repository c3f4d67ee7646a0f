// A fault-injecting TCP proxy on loopback (the part of toxiproxy the fault schedule needs, in
// Node, so nothing has to be built): the apps reach Kafka or Redis through it, and the schedule
// turns faults on and off while traffic flows.
//   delay(ms)  every byte, both ways, arrives `ms` later (order kept)
//   stall()    nothing passes either way, new connections included: 100 % packet loss. TCP
//              would retransmit, so nothing is lost for good: what was held is delivered on heal
//   reset()    every connection is torn down and new ones are closed at once, until heal
//   heal()     back to a plain pipe
import { connect, createServer } from 'node:net';

export class FaultProxy {
  /** @param {{ listenPort: number, upstreamPort: number, upstreamHost?: string, name?: string }} options */
  constructor({ listenPort, upstreamPort, upstreamHost = '127.0.0.1', name = `proxy:${listenPort}` }) {
    this.listenPort = listenPort;
    this.upstream = { host: upstreamHost, port: upstreamPort };
    this.name = name;
    this.mode = { kind: 'pipe', delayMs: 0 };
    this.pipes = new Set();
    this.server = createServer((client) => this.accept(client));
    this.connections = 0;
  }

  start() {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port: this.listenPort, host: '127.0.0.1', exclusive: true }, () => {
        this.server.off('error', reject);
        this.listenPort = this.server.address().port;
        resolve(this);
      });
    });
  }

  get address() {
    return `127.0.0.1:${this.listenPort}`;
  }

  delay(ms) {
    this.mode = { kind: 'pipe', delayMs: ms };
  }

  stall() {
    this.mode = { kind: 'stall', delayMs: 0 };
  }

  reset() {
    this.mode = { kind: 'reset', delayMs: 0 };
    for (const pipe of [...this.pipes]) pipe.destroy();
  }

  heal() {
    this.mode = { kind: 'pipe', delayMs: 0 };
    for (const pipe of this.pipes) pipe.flush();
  }

  async stop() {
    for (const pipe of [...this.pipes]) pipe.destroy();
    await new Promise((resolve) => this.server.close(() => resolve()));
  }

  accept(client) {
    if (this.mode.kind === 'reset') {
      client.resetAndDestroy();
      return;
    }
    this.connections++;
    const server = connect({ ...this.upstream, noDelay: true });
    client.setNoDelay(true);
    const up = new Lane(this, server);
    const down = new Lane(this, client);
    const pipe = {
      flush: () => {
        up.flush();
        down.flush();
      },
      destroy: () => {
        this.pipes.delete(pipe);
        up.clear();
        down.clear();
        client.resetAndDestroy();
        server.resetAndDestroy();
      },
    };
    this.pipes.add(pipe);
    client.on('data', (chunk) => up.push(chunk));
    server.on('data', (chunk) => down.push(chunk));
    // Either side closing or failing ends the pair, as a real connection would end.
    for (const socket of [client, server]) {
      socket.on('error', () => pipe.destroy());
      socket.on('close', () => pipe.destroy());
    }
  }
}

/** One direction of a proxied connection: chunks wait in order until they are due. */
class Lane {
  constructor(proxy, target) {
    this.proxy = proxy;
    this.target = target;
    this.queue = [];
    this.timer = undefined;
    this.lastDue = 0;
  }

  push(chunk) {
    const { kind, delayMs } = this.proxy.mode;
    const due = kind === 'stall' ? Infinity : Math.max(Date.now() + delayMs, this.lastDue);
    if (due <= Date.now() && this.queue.length === 0) {
      this.target.write(chunk);
      return;
    }
    this.lastDue = due === Infinity ? this.lastDue : due;
    this.queue.push({ due, chunk });
    this.schedule();
  }

  /** Heal: held chunks are due now; delayed ones keep their time. */
  flush() {
    for (const item of this.queue) if (item.due === Infinity) item.due = Date.now();
    this.schedule();
  }

  clear() {
    clearTimeout(this.timer);
    this.queue = [];
  }

  schedule() {
    clearTimeout(this.timer);
    const head = this.queue[0];
    if (!head || head.due === Infinity) return;
    this.timer = setTimeout(() => this.drain(), Math.max(0, head.due - Date.now()));
  }

  drain() {
    const now = Date.now();
    while (this.queue.length > 0 && this.queue[0].due <= now) this.target.write(this.queue.shift().chunk);
    this.schedule();
  }
}
