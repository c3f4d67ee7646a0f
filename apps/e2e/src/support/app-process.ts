// One implementation for both test projects (apps/deploy-tests runs the same bundles).
export { AppProcess, freePort, freePorts, type AppName } from '@flowgate/testing';
