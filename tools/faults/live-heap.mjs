// The live heap of a Node process started with --inspect: a full garbage collection through the
// DevTools protocol, then the heap in use. prom-client's nodejs_heap_size_used_bytes also counts
// garbage that no major GC has collected yet, which at a low rate climbs for many minutes: a leak
// shows in the heap that survives a full collection, not in that figure.

/** MiB in use after a full GC of the process whose inspector listens on 127.0.0.1:`port`. */
export async function liveHeapMiB(port, { timeoutMs = 10_000 } = {}) {
  const [target] = await (await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(timeoutMs) })).json();
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  const pending = new Map();
  let nextId = 0;
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(event.data);
    pending.get(message.id)?.(message);
  });
  const call = (method) => new Promise((resolve, reject) => {
    const id = ++nextId;
    const timer = setTimeout(() => reject(new Error(`${method} on :${port} took over ${timeoutMs} ms`)), timeoutMs);
    pending.set(id, (message) => {
      clearTimeout(timer);
      if (message.error) reject(new Error(`${method}: ${message.error.message}`));
      else resolve(message.result);
    });
    socket.send(JSON.stringify({ id, method }));
  });
  try {
    await new Promise((resolve, reject) => {
      socket.addEventListener('open', resolve, { once: true });
      socket.addEventListener('error', () => reject(new Error(`no inspector on :${port}`)), { once: true });
    });
    await call('HeapProfiler.collectGarbage');
    const { usedSize } = await call('Runtime.getHeapUsage');
    return usedSize / 2 ** 20;
  } finally {
    socket.close();
  }
}
