// The ceiling: the same echo answer from a plain Fastify server, no Kafka in the path.
import Fastify from 'fastify';

const port = Number(process.env.PORT ?? 18090);
const app = Fastify({ logger: false });
app.post('/v1/echo', async (request) => ({
  ...request.body,
  result: 'ok',
  request_timestamp: Date.now(),
  response_timestamp: Date.now(),
}));
await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`ready ${port}\n`);
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => app.close().then(() => process.exit(0)));
