/** Thrown when a record does not follow the wire protocol; such records go to the DLQ. */
export class ProtocolError extends Error {
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtocolError';
  }
}
