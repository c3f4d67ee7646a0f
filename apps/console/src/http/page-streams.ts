import type { ServerResponse } from 'node:http';
import type { ConsoleView } from '../board/console-view';

/**
 * The open server-sent-event streams of the page, one per browser tab: each gets every new view
 * as one `data:` line. They are ended before the HTTP server closes, which would otherwise wait
 * for them forever.
 */
export class PageStreams {
  private readonly open = new Set<ServerResponse>();

  add(response: ServerResponse, first: ConsoleView, subscribe: (send: (view: ConsoleView) => void) => () => void): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Proxies (kubectl port-forward is fine; nginx is not) must not buffer the stream.
      'x-accel-buffering': 'no',
    });
    const send = (view: ConsoleView) => response.write(`data: ${JSON.stringify(view)}\n\n`);
    response.write('retry: 2000\n\n');
    send(first);
    const unsubscribe = subscribe(send);
    this.open.add(response);
    response.once('close', () => {
      unsubscribe();
      this.open.delete(response);
    });
  }

  get size(): number {
    return this.open.size;
  }

  endAll(): void {
    for (const response of this.open) response.end();
    this.open.clear();
  }
}
