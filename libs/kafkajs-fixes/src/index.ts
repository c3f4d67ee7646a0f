export { fixRequestQueueTimer } from './request-queue-timer';
