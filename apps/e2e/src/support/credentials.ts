import { createHash, generateKeyPairSync, KeyObject, randomBytes, sign } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An issuer for tests: an ES256 key pair and JWTs signed with node:crypto alone, so the gateway's
 * verification (jose) is checked against an independent implementation.
 */
export class TestIssuer {
  readonly kid = randomBytes(6).toString('hex');
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;

  constructor(readonly issuer: string) {
    ({ privateKey: this.privateKey, publicKey: this.publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  }

  /** The public key set, as a JWKS endpoint or file serves it. */
  jwks(): { keys: Record<string, unknown>[] } {
    return { keys: [{ ...this.publicKey.export({ format: 'jwk' }), kid: this.kid, alg: 'ES256', use: 'sig' }] };
  }

  /** A token with `claims` over sane defaults (this issuer, exp in 5 minutes). */
  token(claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
    const now = Math.floor(Date.now() / 1000);
    const head = b64(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: this.kid, ...header }));
    const body = b64(JSON.stringify({ iss: this.issuer, iat: now, exp: now + 300, ...claims }));
    const signature = sign('sha256', Buffer.from(`${head}.${body}`), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${head}.${body}.${signature.toString('base64url')}`;
  }
}

/** An unsigned token (`alg: none`), which no verifier may accept. */
export function unsignedToken(claims: Record<string, unknown>): string {
  return `${b64(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64(JSON.stringify(claims))}.`;
}

/** Serves a JWKS document over HTTP on a free loopback port. */
export async function serveJwks(jwks: () => unknown): Promise<{ url: string; server: Server; fetches: () => number }> {
  let fetches = 0;
  const server = createServer((_request, response) => {
    fetches++;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`, server, fetches: () => fetches };
}

/** The key file line of a key: `<caller-id> <sha-256 hex>`. */
export function keyLine(callerId: string, key: string): string {
  return `${callerId} ${createHash('sha256').update(key).digest('hex')}\n`;
}

const b64 = (text: string) => Buffer.from(text).toString('base64url');
