import { ConfigError, PROCESSOR_ENV, readGatewayConfig, SWEEPER_ENV } from './index';

describe('FLOWGATE_ADMIN_TOKEN', () => {
  const problemsOf = (token: string) => {
    try {
      readGatewayConfig({ FLOWGATE_ADMIN_TOKEN: token });
    } catch (error) {
      if (error instanceof ConfigError) return error.problems.join('\n');
      throw error;
    }
    return '';
  };

  it('is off (empty) by default and accepts a token of 16 characters or more', () => {
    expect(readGatewayConfig({}).FLOWGATE_ADMIN_TOKEN).toBe('');
    expect(readGatewayConfig({ FLOWGATE_ADMIN_TOKEN: 'a'.repeat(16) }).FLOWGATE_ADMIN_TOKEN).toBe('a'.repeat(16));
  });

  it('refuses a short token or one with white space without repeating the secret', () => {
    expect(problemsOf('short-secret')).toBe('FLOWGATE_ADMIN_TOKEN must be at least 16 characters without white space (it has 12), or unset to switch the admin API off');
    expect(problemsOf('sixteen chars xyz')).toMatch(/without white space/);
    expect(problemsOf('sixteen chars xyz')).not.toContain('xyz');
  });
});

describe('FLOWGATE_PRODUCE_LINGER_MS', () => {
  it("is the gateway's own setting, 2 ms by default, 0 to 100", () => {
    expect(readGatewayConfig({}).FLOWGATE_PRODUCE_LINGER_MS).toBe(2);
    expect(readGatewayConfig({ FLOWGATE_PRODUCE_LINGER_MS: '0' }).FLOWGATE_PRODUCE_LINGER_MS).toBe(0);
    expect(() => readGatewayConfig({ FLOWGATE_PRODUCE_LINGER_MS: '101' })).toThrow(ConfigError);
    // The processor's and the sweeper's output comes in batches already: they have no linger to set.
    expect(Object.keys(PROCESSOR_ENV)).not.toContain('FLOWGATE_PRODUCE_LINGER_MS');
    expect(Object.keys(SWEEPER_ENV)).not.toContain('FLOWGATE_PRODUCE_LINGER_MS');
  });
});
