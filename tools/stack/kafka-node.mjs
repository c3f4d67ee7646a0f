// One Kafka broker that can be stopped and started again on the same data, for failure tests:
//   node tools/stack/kafka-node.mjs --port 39500 --data /tmp/k1
// Prints KAFKA_BROKERS=... on stdout when ready; SIGTERM stops it cleanly. Starting it again with
// the same --data keeps topics, offsets and consumer groups.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { log } from './common.mjs';
import { startKafka } from './kafka.mjs';

const { values } = parseArgs({ options: { port: { type: 'string' }, data: { type: 'string' } } });
const port = Number(values.port);
if (!(port > 0) || !values.data) {
  log('usage: node tools/stack/kafka-node.mjs --port <port> --data <dir>');
  process.exit(2);
}
let kafka;
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await kafka?.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
kafka = await startKafka({ port, dataDir: values.data, logFile: join(values.data, '..', `kafka-${port}.log`), keepData: true });
if (!stopping) process.stdout.write(`KAFKA_BROKERS=${kafka.brokers}\n`);
setInterval(() => {}, 1 << 30);
