import { connect, Socket } from 'node:net';

/**
 * One TCP connection to an HTTP port, written byte for byte by the test (no client library
 * between the test and the server's parser): what the server sent back, and when it closed.
 */
export class RawConnection {
  /** Everything the server sent, as latin1 text. */
  received = '';
  /** Resolves with the ms from connecting until the server (or the test) closed the connection. */
  readonly closed: Promise<number>;
  readonly connected: Promise<void>;
  private readonly socket: Socket;

  constructor(port: number) {
    const started = Date.now();
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('latin1');
    this.socket.on('data', (chunk: string) => (this.received += chunk));
    // A reset is one way of closing; `closed` reports it.
    this.socket.on('error', () => undefined);
    this.connected = new Promise((resolve, reject) => this.socket.once('connect', resolve).once('error', reject));
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve(Date.now() - started)));
  }

  get isClosed(): boolean {
    return this.socket.destroyed;
  }

  write(text: string): void {
    if (!this.socket.destroyed) this.socket.write(text, 'latin1');
  }

  /** Sends `text` one byte every `everyMs` (a slowloris), stopping when the connection closes. */
  dribble(text: string, everyMs: number): void {
    let at = 0;
    const timer = setInterval(() => (at < text.length ? this.write(text[at++]!) : clearInterval(timer)), everyMs);
    void this.closed.then(() => clearInterval(timer));
  }

  /** The complete responses received so far, in order (framed by Content-Length, as flowgate answers). */
  responses(): { status: number; head: string; body: string }[] {
    const responses: { status: number; head: string; body: string }[] = [];
    let rest = this.received;
    for (;;) {
      const end = rest.indexOf('\r\n\r\n');
      if (end < 0) return responses;
      const head = rest.slice(0, end);
      const length = Number(/^content-length: *(\d+)\r?$/im.exec(head)?.[1] ?? 0);
      if (rest.length < end + 4 + length) return responses;
      responses.push({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), head, body: rest.slice(end + 4, end + 4 + length) });
      rest = rest.slice(end + 4 + length);
    }
  }

  /** The status codes of the complete responses received so far, in order. */
  statuses(): number[] {
    return this.responses().map((r) => r.status);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Polls `condition` every 20 ms until it holds or `timeoutMs` passes (then throws, naming `what`). */
export async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
