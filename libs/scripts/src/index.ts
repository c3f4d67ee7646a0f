export * from './script-api';
