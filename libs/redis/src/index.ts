export * from './redis-client';
export * from './slot-lease';
