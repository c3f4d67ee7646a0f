// kafkajs's default socket factory leaves Nagle's algorithm on; flowgate's client
// (libs/kafka/src/kafka-client.ts) turns it off. Every Kafka client in the benchmark uses this
// factory too, so the floor and the NestJS peer are not handicapped by 40 ms delayed-ACK stalls.
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export const noDelaySocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl ? tlsConnect({ host, port, servername: host, ...ssl }, onConnect) : netConnect({ host, port }, onConnect);
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 60_000);
  return socket;
};

/** Brokers from KAFKA_BROKERS (comma-separated), as the apps read them. */
export const brokersFromEnv = () => (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
