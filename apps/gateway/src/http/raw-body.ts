/** A non-JSON body (text/plain, NDJSON), kept as bytes for endpoints that parse it themselves. */
export class RawBody {
  constructor(
    readonly raw: Buffer,
    /** The media type without parameters, lower case. */
    readonly contentType: string,
  ) {}
}
