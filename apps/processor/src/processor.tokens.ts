export const PROCESSOR_CONFIG = Symbol('PROCESSOR_CONFIG');
export const PROCESSOR_METRICS = Symbol('PROCESSOR_METRICS');
/** Where each job runs and what it needs (libs/stream `placeJobs`), from the modules FLOWGATE_JOBS names. */
export const JOB_PLACEMENT = Symbol('JOB_PLACEMENT');
