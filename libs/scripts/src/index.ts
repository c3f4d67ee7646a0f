export * from './script-api';
export { ScriptEngine, type ScriptEngineOptions } from './script-engine';
export { checkScript } from './check-script';
export { scriptSha256 } from './script-sha256';
export { inMemoryScriptHost, type InMemoryScriptHost } from './in-memory-host';
export {
  scriptManifestErrors,
  scriptLimits,
  SCRIPT_MAX_SOURCE_BYTES,
  SCRIPT_MIN_MEMORY_MB,
  SCRIPT_HTTP_TIMEOUT_DEFAULT_MS,
  SCRIPT_HTTP_TIMEOUT_MAX_MS,
  SCRIPT_MAX_EXAMPLES,
} from './script-manifest';
export { SCRIPT_LOAD_CPU_MS, SCRIPT_MAX_STACK_BYTES, SCRIPT_KV_MAX_KEY_LENGTH, SCRIPT_KV_MAX_VALUE_BYTES } from './script-sandbox';
export { SCRIPT_HTTP_MAX_BODY_BYTES, type ScriptHttpClient, type ScriptHttpRequest, type ScriptHttpResponse } from './http-capability';
