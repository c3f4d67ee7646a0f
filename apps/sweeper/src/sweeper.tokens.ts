/** Injection tokens of values (not classes) the sweeper module provides. */
export const SWEEPER_CONFIG = Symbol('SWEEPER_CONFIG');
export const SWEEPER_METRICS = Symbol('SWEEPER_METRICS');
