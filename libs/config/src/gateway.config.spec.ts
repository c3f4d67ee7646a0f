import { ConfigError, readGatewayConfig } from './index';

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
