/**
 * What goes wrong between a browser and an eepsite, each with the HTTP status the proxy answers
 * with. Thrown by the parsers and the host rules; turned into an error page by the server.
 */
export type HttpProxyErrorCode =
  // The browser's request (400 unless said otherwise)
  | 'HEAD_TOO_LARGE' // 431
  | 'LINE_TOO_LONG' // 431
  | 'TOO_MANY_HEADERS' // 431
  | 'BAD_REQUEST_LINE'
  | 'BAD_METHOD' // 405 for a method we do not forward
  | 'BAD_TARGET'
  | 'BAD_VERSION' // 505
  | 'BAD_HEADER'
  | 'BAD_BODY_FRAMING'
  | 'NOT_A_PROXY_REQUEST'
  // Where it wants to go
  | 'NOT_I2P' // 403: clearnet host, no outproxy
  | 'IP_LITERAL' // 403
  | 'LOCALHOST' // 403
  | 'BARE_NAME' // 403
  | 'BASE64_HOST' // 400: a full destination as host name (not standard)
  | 'B33_UNSUPPORTED' // 400: encrypted LeaseSets
  | 'BAD_HOST' // 400
  | 'UNKNOWN_NAME' // 404: not in the address book
  // The site
  | 'NO_LEASESET' // 504
  | 'CONNECT_TIMEOUT' // 504
  | 'REFUSED' // 502
  | 'BAD_RESPONSE' // 502
  | 'BUSY' // 503
  | 'NO_TUNNELS' // 503: the proxy's tunnels are not built yet
  | 'HEAD_TIMEOUT'; // 408

const STATUS: Record<HttpProxyErrorCode, number> = {
  HEAD_TOO_LARGE: 431,
  LINE_TOO_LONG: 431,
  TOO_MANY_HEADERS: 431,
  BAD_REQUEST_LINE: 400,
  BAD_METHOD: 405,
  BAD_TARGET: 400,
  BAD_VERSION: 505,
  BAD_HEADER: 400,
  BAD_BODY_FRAMING: 400,
  NOT_A_PROXY_REQUEST: 400,
  NOT_I2P: 403,
  IP_LITERAL: 403,
  LOCALHOST: 403,
  BARE_NAME: 403,
  BASE64_HOST: 400,
  B33_UNSUPPORTED: 400,
  BAD_HOST: 400,
  UNKNOWN_NAME: 404,
  NO_LEASESET: 504,
  CONNECT_TIMEOUT: 504,
  REFUSED: 502,
  BAD_RESPONSE: 502,
  BUSY: 503,
  NO_TUNNELS: 503,
  HEAD_TIMEOUT: 408,
};

export class HttpProxyError extends Error {
  override readonly name = 'HttpProxyError';
  readonly status: number;
  constructor(
    readonly code: HttpProxyErrorCode,
    message: string,
  ) {
    super(message);
    this.status = STATUS[code];
  }
}
