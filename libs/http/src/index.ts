export * from './admin-server';
export * from './bootstrap';
export * from './health.controller';
export * from './health.module';
export * from './problem-reply';
export * from './readiness.service';
export * from './body-schema';
export * from './admin-token';
