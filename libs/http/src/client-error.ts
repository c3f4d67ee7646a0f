import type { Socket } from 'node:net';
import { problem, PROBLEM_CONTENT_TYPE, type ProblemKind } from '@flowgate/contracts';

/** What Node's HTTP parser reports, as the problem the caller gets. */
const KIND_OF_CODE: Readonly<Record<string, ProblemKind>> = {
  ERR_HTTP_REQUEST_TIMEOUT: 'requestTimeout',
  HPE_HEADER_OVERFLOW: 'headersTooLarge',
};

const DETAILS: Partial<Record<ProblemKind, string>> = {
  requestTimeout: 'the request (its headers, or headers and body) did not arrive within the server\'s time limit',
  headersTooLarge: 'the request line and headers are larger than the server accepts',
  malformedRequest: 'the request is not valid HTTP/1.1 (e.g. bad chunked encoding, or both Content-Length and Transfer-Encoding)',
};

/**
 * The raw HTTP answer to a request Node's parser refused or timed out (a slow or oversized
 * request, invalid chunked encoding, a smuggling attempt): a problem+json, and the connection
 * closes, since nothing after the bad bytes can be trusted to start a request.
 */
export function clientErrorResponse(code: string | undefined): string {
  const kind = (code && KIND_OF_CODE[code]) || 'malformedRequest';
  const body = JSON.stringify(problem(kind, DETAILS[kind]));
  const { status, title } = problem(kind);
  return `HTTP/1.1 ${status} ${title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/**
 * A `clientError` listener (Node's server, or Fastify's `clientErrorHandler`): answers with
 * `clientErrorResponse` unless a response is already under way on the socket (a keep-alive
 * connection whose next request went bad mid-answer), then closes the connection.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !current?.headersSent) socket.end(clientErrorResponse(error.code));
  socket.destroySoon();
}
