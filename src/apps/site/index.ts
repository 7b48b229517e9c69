export { formatAccessLine, withAccessLog, type AccessRecord } from './access-log.js';
export { SiteError, type SiteErrorCode } from './errors.js';
export { checkSiteName, DEFAULT_SITE_NAME, decodeKeysFile, SiteKeyStore, withSiteKeys, type SiteKeyListing, type SiteKeys } from './keys.js';
export { createReverseProxy, parseProxyTarget, VISITOR_HEADER, type ProxyTarget } from './reverse-proxy.js';
export { serveSite, siteHandler, type ListenFn, type ServeSiteOptions, type SiteCounters, type SiteHandle } from './serve.js';
export { createStaticHandler, realSiteDir, type RequestHandler, type StaticOptions } from './static-handler.js';
