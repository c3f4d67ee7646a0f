// Tiny request/response over a forked child's IPC channel: the benchmark drives the load
// generator and the floor's Kafka client this way, so their event loops are their own.

/** In the child: answer { id, cmd, args } messages with handlers[cmd](args). */
export function serve(handlers) {
  process.on('message', async ({ id, cmd, args }) => {
    try {
      const result = await handlers[cmd](args);
      process.send({ id, result });
    } catch (error) {
      process.send({ id, error: String(error?.stack ?? error) });
    }
  });
  // The parent going away (IPC closed) ends the child: no strays.
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true });
}

/** In the parent: a client for a child started with fork(). */
export function client(child) {
  let seq = 0;
  const waiting = new Map();
  let readyResolve;
  const ready = new Promise((resolve) => (readyResolve = resolve));
  child.on('message', (message) => {
    if (message.ready) return readyResolve();
    const entry = waiting.get(message.id);
    if (!entry) return;
    waiting.delete(message.id);
    if (message.error) entry.reject(new Error(message.error));
    else entry.resolve(message.result);
  });
  // A send racing the child's exit reports through 'error'; the pending call is rejected below.
  child.on('error', () => {});
  child.once('exit', (code, signal) => {
    for (const entry of waiting.values()) entry.reject(new Error(`child exited (${signal ?? code})`));
    waiting.clear();
  });
  return {
    ready,
    call(cmd, args) {
      return new Promise((resolve, reject) => {
        if (!child.connected) return reject(new Error(`child ${child.pid} is gone`));
        const id = ++seq;
        waiting.set(id, { resolve, reject });
        child.send({ id, cmd, args }, (error) => {
          if (!error) return;
          waiting.delete(id);
          reject(error);
        });
      });
    },
  };
}
