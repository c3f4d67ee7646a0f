// The floor's own topics, with flowgate's partition counts (requests 8, replies 16); each Kafka
// client variant of the floor (bench/floor/kafka/) has its own pair, so two floors never share one.
export const FLOOR_CLIENTS = ['kafkajs', 'platformatic', 'confluent'];
export const FLOOR_REPLY_PARTITION = 0;
export const floorTopicNames = (client = 'kafkajs') => {
  const prefix = client === 'kafkajs' ? 'floor' : `floor-${client}`;
  return { requests: `${prefix}.requests`, replies: `${prefix}.replies` };
};
export const floorTopics = () => FLOOR_CLIENTS.flatMap((client) => [
  { topic: floorTopicNames(client).requests, numPartitions: 8 },
  { topic: floorTopicNames(client).replies, numPartitions: 16 },
]);
