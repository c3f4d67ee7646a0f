export * from './redis-client';
export * from './slot-lease';
export * from './request-registry';
