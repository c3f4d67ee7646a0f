// What both halves of the NestJS peer pass to Transport.KAFKA. Plain defaults, except Nagle's
// algorithm is off (the same socket factory flowgate uses; without it kafkajs stalls ~40 ms per
// hop on loopback and the comparison would say nothing about NestJS) and the explicit partitioner
// (kafkajs 2's default, named to silence its warning).
import { logLevel, Partitioners } from 'kafkajs';
import { brokersFromEnv, noDelaySocketFactory } from '../../lib/kafka-socket.mjs';

export const ECHO_PATTERN = 'echo'; // topic `echo`; ClientKafka reads replies from `echo.reply`
export const GROUP_ID = 'nest-bench'; // Nest appends -client / -server
export const nestTopics = () => [
  { topic: ECHO_PATTERN, numPartitions: 8 },
  { topic: `${ECHO_PATTERN}.reply`, numPartitions: 8 },
];

export const kafkaOptions = (clientId) => ({
  client: {
    clientId,
    brokers: brokersFromEnv(),
    socketFactory: process.env.BENCH_NEST_NAGLE === '1' ? undefined : noDelaySocketFactory,
    logLevel: logLevel.WARN,
  },
  consumer: { groupId: GROUP_ID },
  producer: { createPartitioner: Partitioners.DefaultPartitioner },
});
