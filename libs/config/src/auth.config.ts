import { int, oneOf, str } from './env-reader';

/** JWS algorithms a token may be signed with (asymmetric only: the gateway holds no signing secret). */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/** Who may call the gateway, and how it tells callers apart (see the README's Security section). */
export const AUTH_ENV = {
  FLOWGATE_AUTH: oneOf({
    default: 'none', values: ['none', 'api-key', 'jwt'] as const,
    description: 'Caller authentication on the public port: none (anonymous), api-key or jwt.',
  }),
  FLOWGATE_API_KEYS_FILE: str({
    default: '',
    description: 'api-key: file of "<caller-id> <sha-256 hex of the key>" lines; re-read when it changes.',
  }),
  FLOWGATE_API_KEY_HEADER: str({
    default: 'authorization',
    pattern: /^[a-z0-9-]{1,64}$/,
    rule: 'a lower-case header name',
    description: 'api-key: header carrying the key; "authorization" takes "Bearer <key>", any other header the bare key.',
  }),
  FLOWGATE_API_KEYS_RELOAD_MS: int({
    default: 2_000, min: 100, max: 600_000,
    description: 'api-key: how often the key file is checked for changes.',
  }),
  FLOWGATE_JWT_JWKS_URL: str({
    default: '',
    pattern: /^(https?:\/\/\S+)?$/,
    rule: 'an http:// or https:// URL, or empty',
    description: 'jwt: URL of the issuer\'s JSON Web Key Set (fetched and cached; refetched for an unknown key id).',
  }),
  FLOWGATE_JWT_JWKS_FILE: str({
    default: '',
    description: 'jwt: file holding a static JSON Web Key Set, instead of FLOWGATE_JWT_JWKS_URL.',
  }),
  FLOWGATE_JWT_ISSUER: str({ default: '', description: 'jwt: the required "iss" claim.' }),
  FLOWGATE_JWT_AUDIENCE: str({ default: '', description: 'jwt: accepted "aud" values, comma-separated (a token needs one of them).' }),
  FLOWGATE_JWT_CALLER_CLAIM: str({
    default: 'sub',
    pattern: /^[A-Za-z0-9_.:/-]{1,100}$/,
    rule: 'a claim name',
    description: 'jwt: the claim whose string value is the caller id.',
  }),
  FLOWGATE_JWT_CLOCK_SKEW_S: int({
    default: 30, min: 0, max: 600,
    description: 'jwt: tolerated clock difference for "exp" and "nbf".',
  }),
  FLOWGATE_JWT_ALGORITHMS: str({
    default: 'RS256,PS256,ES256,EdDSA',
    pattern: new RegExp(`^(${JWT_ALGORITHMS.join('|')})(,(${JWT_ALGORITHMS.join('|')}))*$`),
    rule: `a comma-separated list of ${JWT_ALGORITHMS.join(', ')}`,
    description: 'jwt: signature algorithms accepted.',
  }),
} as const;

type AuthSettings = {
  readonly [K in keyof typeof AUTH_ENV]: ReturnType<(typeof AUTH_ENV)[K]['parse']>;
};

/**
 * Settings that only make sense together. A key file or issuer given while FLOWGATE_AUTH=none is
 * refused too: the operator meant to switch authentication on, and an open gateway must not look
 * protected.
 */
export function authProblems(config: AuthSettings): string[] {
  const problems: string[] = [];
  const set = (name: keyof AuthSettings) => config[name] !== AUTH_ENV[name].parse(undefined);
  const needs = (name: keyof AuthSettings) => {
    if (config[name] === '') problems.push(`${name} is required with FLOWGATE_AUTH=${config.FLOWGATE_AUTH}`);
  };
  const apiKey = ['FLOWGATE_API_KEYS_FILE', 'FLOWGATE_API_KEY_HEADER', 'FLOWGATE_API_KEYS_RELOAD_MS'] as const;
  const jwt = [
    'FLOWGATE_JWT_JWKS_URL', 'FLOWGATE_JWT_JWKS_FILE', 'FLOWGATE_JWT_ISSUER', 'FLOWGATE_JWT_AUDIENCE',
    'FLOWGATE_JWT_CALLER_CLAIM', 'FLOWGATE_JWT_CLOCK_SKEW_S', 'FLOWGATE_JWT_ALGORITHMS',
  ] as const;
  const unused = (names: readonly (keyof AuthSettings)[]) => {
    for (const name of names.filter(set)) problems.push(`${name} is set but FLOWGATE_AUTH=${config.FLOWGATE_AUTH} does not use it`);
  };
  switch (config.FLOWGATE_AUTH) {
    case 'none':
      unused([...apiKey, ...jwt]);
      break;
    case 'api-key':
      needs('FLOWGATE_API_KEYS_FILE');
      unused(jwt);
      break;
    case 'jwt':
      if ((config.FLOWGATE_JWT_JWKS_URL === '') === (config.FLOWGATE_JWT_JWKS_FILE === '')) {
        problems.push('FLOWGATE_AUTH=jwt needs exactly one of FLOWGATE_JWT_JWKS_URL and FLOWGATE_JWT_JWKS_FILE');
      }
      needs('FLOWGATE_JWT_ISSUER');
      needs('FLOWGATE_JWT_AUDIENCE');
      unused(apiKey);
      break;
  }
  return problems;
}
