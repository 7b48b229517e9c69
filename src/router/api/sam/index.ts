export { SamServer, type SamServerOptions, type SamStatus } from './server.js';
export type { SamBackend, SamStream, SamStreams } from './backend.js';
export { DEFAULT_LIMITS, type SamLimits } from './registry.js';
export { parseSamCommand, SamParseError, MAX_LINE_BYTES, type SamCommand } from './command.js';
