// Group-commit batching, the same strategy as flowgate's BatchingProducer
// (libs/kafka/src/batching-producer.ts): records that arrive while produce requests are in
// flight go together in the next one; an idle producer adds one event-loop turn. The floor uses
// it so that its produce path is as cheap as flowgate's, not one produce request per record.
// `sendBatch(records)` puts [{ topic, message }] on Kafka with acks=all, whatever the client.
export function batchProducer(sendBatch, { maxBatch = 1_000, maxInFlight = 4 } = {}) {
  let queue = [];
  let inFlight = 0;
  let scheduled = false;
  const schedule = () => {
    if (scheduled || inFlight >= maxInFlight) return;
    scheduled = true;
    setImmediate(flush);
  };
  const flush = () => {
    scheduled = false;
    while (queue.length > 0 && inFlight < maxInFlight) {
      const batch = queue.splice(0, maxBatch);
      inFlight++;
      sendBatch(batch)
        .then(() => batch.forEach((w) => w.resolve()), (error) => batch.forEach((w) => w.reject(error)))
        .finally(() => {
          inFlight--;
          if (queue.length > 0) schedule();
        });
    }
  };
  return {
    send(topic, message) {
      return new Promise((resolve, reject) => {
        queue.push({ topic, message, resolve, reject });
        schedule();
      });
    },
  };
}
