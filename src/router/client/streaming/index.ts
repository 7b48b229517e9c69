/** The streaming protocol (streaming.rst): I2P's TCP-like connections between destinations. */
export { StreamError, type StreamErrorCode } from './errors.js';
export { I2pStream, type StreamInfo } from './stream.js';
export {
  StreamManager,
  type StreamHost,
  type StreamManagerDeps,
  type ConnectOptions,
  type ListenOptions,
  type StreamCounters,
} from './manager.js';
export { type ConnectionOptions, DEFAULT_CONNECTION_OPTIONS, DEFAULT_STREAMING_OPTIONS, type StreamingOptions, STREAMING_MTU, STREAMING_MTU_RATCHETS } from './options.js';
export * from './packet.js';
