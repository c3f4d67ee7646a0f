import { readConsoleConfig } from './console.config';
import { ConfigError } from './env-reader';

describe('readConsoleConfig', () => {
  const problems = (env: NodeJS.ProcessEnv) => {
    try {
      readConsoleConfig(env);
      return '';
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
  };

  it('needs the admin token unless told it runs on loopback', () => {
    expect(problems({})).toMatch(/FLOWGATE_ADMIN_TOKEN must be set/);
    expect(problems({ FLOWGATE_ADMIN_TOKEN: 'too-short' })).toMatch(/FLOWGATE_ADMIN_TOKEN must be set \(16 characters or more\)/);
    expect(readConsoleConfig({ FLOWGATE_ADMIN_TOKEN: 'a'.repeat(16) })).toMatchObject({ FLOWGATE_CONSOLE_AUTH: 'token', FLOWGATE_CONSOLE_HOST: '0.0.0.0', FLOWGATE_CONSOLE_PORT: 9300 });
  });

  it('in loopback mode listens on 127.0.0.1 only and refuses another address', () => {
    expect(readConsoleConfig({ FLOWGATE_CONSOLE_AUTH: 'loopback' }).FLOWGATE_CONSOLE_HOST).toBe('127.0.0.1');
    expect(readConsoleConfig({ FLOWGATE_CONSOLE_AUTH: 'loopback', FLOWGATE_CONSOLE_HOST: '::1' }).FLOWGATE_CONSOLE_HOST).toBe('127.0.0.1');
    expect(problems({ FLOWGATE_CONSOLE_AUTH: 'loopback', FLOWGATE_CONSOLE_HOST: '0.0.0.0' })).toMatch(/listens on 127.0.0.1 only/);
  });

  it('reads no Redis URL: the console talks to Kafka only', () => {
    expect(readConsoleConfig({ FLOWGATE_CONSOLE_AUTH: 'loopback' })).not.toHaveProperty('REDIS_URL');
  });
});
