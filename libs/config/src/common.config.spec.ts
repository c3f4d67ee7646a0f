import { readConsoleConfig } from './console.config';
import { ConfigError } from './env-reader';
import { readGatewayConfig } from './gateway.config';
import { readProcessorConfig } from './processor.config';
import { readSweeperConfig } from './sweeper.config';

/** Each app's reader with what it needs besides the variables under test. */
const READERS = [
  ['gateway', (env: NodeJS.ProcessEnv) => readGatewayConfig(env)],
  ['processor', (env: NodeJS.ProcessEnv) => readProcessorConfig({ FLOWGATE_JOBS: 'demo', ...env })],
  ['sweeper', (env: NodeJS.ProcessEnv) => readSweeperConfig(env)],
  ['console', (env: NodeJS.ProcessEnv) => readConsoleConfig({ FLOWGATE_CONSOLE_AUTH: 'loopback', FLOWGATE_CONSOLE_HOST: '127.0.0.1', ...env })],
] as const;

describe.each(READERS)('the variables every app reads: %s', (_app, read) => {
  it('reads the HTTP limits, with their defaults', () => {
    expect(read({})).toMatchObject({ FLOWGATE_HTTP_HEADERS_TIMEOUT_MS: 10_000, FLOWGATE_HTTP_MAX_HEADER_BYTES: 16_384, FLOWGATE_HTTP_MAX_CONNECTIONS: 10_000 });
    expect(read({ FLOWGATE_HTTP_MAX_HEADER_BYTES: '4096' })).toMatchObject({ FLOWGATE_HTTP_MAX_HEADER_BYTES: 4_096 });
  });

  it('refuses a request timeout below the headers timeout, and SASL without credentials, together', () => {
    let error: unknown;
    try {
      read({ FLOWGATE_HTTP_HEADERS_TIMEOUT_MS: '5000', FLOWGATE_HTTP_REQUEST_TIMEOUT_MS: '1000', KAFKA_SASL_MECHANISM: 'plain' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^FLOWGATE_HTTP_REQUEST_TIMEOUT_MS=1000 is below FLOWGATE_HTTP_HEADERS_TIMEOUT_MS=5000/),
      'KAFKA_SASL_MECHANISM=plain needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
    ]));
  });
});
