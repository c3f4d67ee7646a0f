export * from './auth.config';
export * from './common.config';
export * from './console.config';
export * from './env-reader';
export * from './gateway.config';
export * from './processor.config';
export * from './registry.config';
export * from './sweeper.config';
