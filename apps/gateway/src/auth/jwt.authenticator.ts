import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import type { JWTVerifyGetKey, JWTVerifyOptions } from 'jose';
import { ConfigError, GatewayConfig } from '@flowgate/config';
import { isValidCallerId } from '@flowgate/contracts';
import { AuthVerdict, Authenticator, bearerChallenge, bearerToken } from './authenticator';

type Jose = typeof import('jose');

/** Bounds on fetching the issuer's key set: a slow issuer must not hold requests for long. */
const JWKS_FETCH = { timeoutDuration: 2_000, cooldownDuration: 30_000, cacheMaxAge: 600_000 };

/** Tokens longer than this are refused before parsing. */
const MAX_TOKEN_LENGTH = 8_192;

/**
 * FLOWGATE_AUTH=jwt: `Authorization: Bearer <JWT>`, verified with `jose` against the issuer's key
 * set (fetched from FLOWGATE_JWT_JWKS_URL and cached, or a static FLOWGATE_JWT_JWKS_FILE), with
 * the issuer, one of the audiences, the algorithm allow-list, `exp` (required) and `nbf` within
 * the clock skew. The caller id is the FLOWGATE_JWT_CALLER_CLAIM claim (a string).
 */
export class JwtAuthenticator implements Authenticator {
  private constructor(
    private readonly jose: Jose,
    private readonly keys: JWTVerifyGetKey,
    private readonly verifyOptions: JWTVerifyOptions,
    private readonly claim: string,
  ) {}

  /**
   * jose is an ES module, loaded with import() so the CommonJS bundle runs on any Node 20.
   * @throws ConfigError when the static key set cannot be read.
   */
  static async create(config: GatewayConfig): Promise<JwtAuthenticator> {
    const jwksFile = config.FLOWGATE_JWT_JWKS_FILE;
    const staticKeys = jwksFile === '' ? undefined : readKeySet(jwksFile);
    const jose = await import('jose');
    const keys = staticKeys
      ? jose.createLocalJWKSet(staticKeys)
      : jose.createRemoteJWKSet(new URL(config.FLOWGATE_JWT_JWKS_URL), JWKS_FETCH);
    const claim = config.FLOWGATE_JWT_CALLER_CLAIM;
    return new JwtAuthenticator(jose, keys, {
      issuer: config.FLOWGATE_JWT_ISSUER,
      audience: config.FLOWGATE_JWT_AUDIENCE.split(',').map((a) => a.trim()).filter(Boolean),
      algorithms: config.FLOWGATE_JWT_ALGORITHMS.split(','),
      clockTolerance: config.FLOWGATE_JWT_CLOCK_SKEW_S,
      requiredClaims: ['exp', claim],
    }, claim);
  }

  async authenticate(headers: IncomingHttpHeaders): Promise<AuthVerdict> {
    const token = bearerToken(headers.authorization);
    if (token === undefined) return { ok: false, reason: 'missing', detail: 'send a token in Authorization: Bearer <JWT>' };
    if (token === null || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed', detail: 'send one token in Authorization: Bearer <JWT>' };
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await this.jose.jwtVerify(token, this.keys, this.verifyOptions));
    } catch (error) {
      return this.refusal(error);
    }
    const callerId = payload[this.claim];
    if (typeof callerId !== 'string' || !isValidCallerId(callerId)) {
      return { ok: false, reason: 'invalid_token', detail: `the token's "${this.claim}" claim is not a caller id` };
    }
    return { ok: true, callerId };
  }

  challenge(verdict: Extract<AuthVerdict, { ok: false }>): string {
    return bearerChallenge(verdict);
  }

  close(): void {
    // Nothing runs in the background: the key set is fetched on demand.
  }

  /** What the caller may learn: which check failed, never key material or the issuer's answer. */
  private refusal(error: unknown): AuthVerdict {
    const { errors } = this.jose;
    if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired', detail: 'the token has expired' };
    if (error instanceof errors.JWTClaimValidationFailed) {
      return { ok: false, reason: 'invalid_token', detail: `the token's "${error.claim}" claim is not accepted` };
    }
    if (error instanceof errors.JWKSTimeout || (error instanceof Error && !(error instanceof errors.JOSEError))) {
      // The issuer's key set could not be fetched: not the caller's fault, try again.
      return { ok: false, reason: 'unavailable', detail: 'the signing keys could not be fetched; try again shortly' };
    }
    if (error instanceof errors.JWKSNoMatchingKey) return { ok: false, reason: 'invalid_token', detail: 'the token is signed with an unknown key' };
    if (error instanceof errors.JOSEAlgNotAllowed) return { ok: false, reason: 'invalid_token', detail: 'the token\'s algorithm is not accepted' };
    return { ok: false, reason: 'invalid_token', detail: 'the token is not valid' };
  }
}

function readKeySet(file: string): Parameters<Jose['createLocalJWKSet']>[0] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError([`FLOWGATE_JWT_JWKS_FILE=${file}: ${(error as Error).message}`]);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.some((k) => typeof k !== 'object' || k === null || typeof (k as { kty?: unknown }).kty !== 'string')) {
    throw new ConfigError([`FLOWGATE_JWT_JWKS_FILE=${file}: not a JSON Web Key Set ({"keys":[{"kty":…},…]})`]);
  }
  for (const key of keys as Record<string, unknown>[]) {
    // A private key in the gateway's file is a leak waiting to happen: the gateway only verifies.
    if ('d' in key) throw new ConfigError([`FLOWGATE_JWT_JWKS_FILE=${file}: holds a private key ("d"); give the gateway public keys only`]);
  }
  return parsed as Parameters<Jose['createLocalJWKSet']>[0];
}
