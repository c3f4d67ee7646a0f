export * from './envelope';
export * from './headers';
export * from './problem';
export * from './request-id';
export * from './routes';
export * from './topics';
