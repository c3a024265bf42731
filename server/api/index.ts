// The /v1 HTTP API: its public surface.
export { createApp, ApiConfigError, type ApiOptions, type ApiApp } from './app';
export { startApiServer, type ApiServer, type ApiServerOptions, type DiscoveryInfo } from './server';
export { ApiKeyError, type ApiKey, type ApiKeySet, type Scope, type Principal } from './keys';
export type { ThrottleSettings } from './authThrottle';
export type { StreamSettings } from './streamHub';
