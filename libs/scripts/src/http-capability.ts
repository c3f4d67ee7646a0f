import { isObject } from './script-manifest';

/** What `flowgate.http.fetch(url, init)` asks for, checked. */
export interface ScriptHttpRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly timeoutMs: number;
}

/** What the script gets back: the body as text. */
export interface ScriptHttpResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Does the request; the sandbox has already checked the URL against the allow-list. */
export type ScriptHttpClient = (request: ScriptHttpRequest) => Promise<ScriptHttpResponse>;

/** Bodies a script may send and receive: enough for an API answer, too little to stream a file through a rule. */
export const SCRIPT_HTTP_MAX_BODY_BYTES = 1024 * 1024;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * The checked request of a `flowgate.http.fetch` call.
 * @throws Error (shown to the script) when the URL is not http(s), its host is not on the list, or init is malformed.
 */
export function httpRequestOf(url: unknown, init: unknown, grant: { hosts: readonly string[]; timeoutMs: number }): ScriptHttpRequest {
  if (typeof url !== 'string') throw new Error('flowgate.http.fetch: the URL must be a string');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`flowgate.http.fetch: ${JSON.stringify(url)} is not an absolute URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`flowgate.http.fetch: only http and https URLs, not ${parsed.protocol}`);
  if (parsed.username !== '' || parsed.password !== '') throw new Error('flowgate.http.fetch: credentials in the URL are not allowed (send a header)');
  if (!hostAllowed(parsed.hostname, grant.hosts)) {
    throw new Error(`flowgate.http.fetch: host ${parsed.hostname} is not on this script's allow-list (${grant.hosts.join(', ')})`);
  }
  if (!isObject(init)) throw new Error('flowgate.http.fetch: init must be an object { method, headers, body }');
  const method = init['method'] === undefined ? 'GET' : String(init['method']).toUpperCase();
  if (!METHODS.includes(method)) throw new Error(`flowgate.http.fetch: method ${method} is not one of ${METHODS.join(', ')}`);
  const headers = init['headers'] ?? {};
  if (!isObject(headers) || !Object.values(headers).every((v) => typeof v === 'string')) throw new Error('flowgate.http.fetch: headers must be an object of strings');
  const body = init['body'];
  if (body !== undefined && typeof body !== 'string') throw new Error('flowgate.http.fetch: body must be a string (JSON.stringify it)');
  if (body !== undefined && Buffer.byteLength(body) > SCRIPT_HTTP_MAX_BODY_BYTES) throw new Error(`flowgate.http.fetch: body over ${SCRIPT_HTTP_MAX_BODY_BYTES} bytes`);
  return { url: parsed.href, method, headers: headers as Record<string, string>, body, timeoutMs: grant.timeoutMs };
}

/** `api.example.com` allows exactly that host; `*.example.com` allows its sub-domains (not example.com itself). */
export function hostAllowed(hostname: string, hosts: readonly string[]): boolean {
  const host = hostname.toLowerCase();
  return hosts.some((pattern) => (pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1 : host === pattern));
}

/**
 * The default client: Node's fetch, no redirects followed (a redirect could leave the allow-list;
 * the script sees the 3xx), the whole exchange under the timeout, the body read up to the bound.
 */
export const fetchHttp: ScriptHttpClient = async (request) => {
  const signal = AbortSignal.timeout(request.timeoutMs);
  let response: Response;
  try {
    response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body, redirect: 'manual', signal });
  } catch (error) {
    throw new Error(signal.aborted ? `flowgate.http.fetch: no answer from ${request.url} within ${request.timeoutMs} ms` : `flowgate.http.fetch: ${(error as Error).message}`, { cause: error });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw new Error(signal.aborted ? `flowgate.http.fetch: the body of ${request.url} did not arrive within ${request.timeoutMs} ms` : `flowgate.http.fetch: ${(error as Error).message}`, { cause: error });
      }
      if (chunk.done) break;
      size += chunk.value.byteLength;
      if (size > SCRIPT_HTTP_MAX_BODY_BYTES) {
        await reader.cancel();
        throw new Error(`flowgate.http.fetch: the response body of ${request.url} is over ${SCRIPT_HTTP_MAX_BODY_BYTES} bytes`);
      }
      chunks.push(Buffer.from(chunk.value));
    }
  }
  return { status: response.status, headers: Object.fromEntries(response.headers), body: Buffer.concat(chunks).toString('utf8') };
};
