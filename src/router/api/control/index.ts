export * from './protocol.js';
export { startControlServer, socketAnswers, type ControlHandler, type ControlHandlers, type ControlServer, type ControlServerOptions } from './server.js';
export { callControl, routerStatus, type CallOptions } from './client.js';
