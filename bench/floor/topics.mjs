// The floor's own topics, with flowgate's partition counts (requests 8, replies 16).
export const FLOOR_REQUESTS = 'floor.requests';
export const FLOOR_REPLIES = 'floor.replies';
export const FLOOR_REPLY_PARTITION = 0;
export const floorTopics = () => [
  { topic: FLOOR_REQUESTS, numPartitions: 8 },
  { topic: FLOOR_REPLIES, numPartitions: 16 },
];
