export { HttpProxy, DEFAULT_HTTP_PROXY_OPTIONS, type HttpProxyOptions, type HttpProxyDeps, type HttpProxyCounters } from './server.js';
export { HttpProxyError, type HttpProxyErrorCode } from './errors.js';
export { FIXED_USER_AGENT } from './headers.js';
