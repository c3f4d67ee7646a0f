// Seed 003's examples: FLOWGATE_JOBS=dist/examples/geofence.js, scripts in ./scripts (README.md).
export { jobs } from './geofence.jobs';
