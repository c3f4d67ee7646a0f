/** Injection tokens of values (not classes) the gateway module provides. */
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
export const GATEWAY_METRICS = Symbol('GATEWAY_METRICS');
