export * from './envelope';
export * from './headers';
export * from './problem';
export * from './protocol-error';
export * from './request-id';
export * from './route-catalog';
export * from './scripts';
export * from './topics';
