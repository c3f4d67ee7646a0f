/** The jobs this processor runs (an array of `Job`), besides its `@MessagePattern` handlers. */
export const JOBS = Symbol('JOBS');
