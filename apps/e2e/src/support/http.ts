export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Parsed body; undefined when it is not JSON. */
  readonly json: Record<string, unknown> | undefined;
  readonly ms: number;
}

/** POSTs a JSON body (an object is serialized, a string is sent as is). */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<HttpResult> {
  const started = Date.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
  return read(response, started);
}

/** GETs a URL. */
export async function get(url: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  const started = Date.now();
  return read(await fetch(url, { headers }), started);
}

async function read(response: Response, started: number): Promise<HttpResult> {
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined; // not every response has a JSON body (e.g. OPTIONS)
  }
  return { status: response.status, headers: response.headers, text, json, ms: Date.now() - started };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns true or the time is up. */
export async function eventually(probe: () => Promise<boolean> | boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await sleep(100);
  }
  throw new Error(`${what} not met within ${timeoutMs} ms`);
}
