export * from './job';
export * from './job-builder';
export * from './route-error';
export * from './run-operators';
export * from './topology';
