export { fetchUrl, describeTimings, FETCH_USER_AGENT, type FetchDeps, type FetchProgress, type FetchResult, type FetchTimings } from './client.js';
export { EXIT_CODE_TABLE, FetchExit, exitCodeForConnectError, exitCodeHelp, type FetchExitCode } from './exit-codes.js';
export { buildFetchOptions, buildRequestBody, FetchUsageError, remoteNameOf, type FetchFlags, type FetchOptions, type OutputTarget } from './options.js';
export { formatBytes, formatProgressLine } from './progress.js';
export { FetchUrlError, parseFetchHost, parseFetchUrl, resolveRedirect, type FetchHost, type FetchUrl } from './url.js';
