// Serving the API: loopback only (127.0.0.1; anything else is refused with a
// clear error), no timeout that cuts streams, a discovery file (0600) that
// tells local clients where to connect — never a key: a supervised job runs as
// the same user and can read it — and a clean close.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dirname } from 'node:path';
import { ApiConfigError, createApp, type ApiApp, type ApiOptions } from './app';

export const LOOPBACK_HOST = '127.0.0.1';

export interface ApiServerOptions extends ApiOptions {
  /** 0 = any free port. */
  port: number;
  /** Must be 127.0.0.1 (the default): the API never listens beyond loopback. */
  host?: string;
  /** Where to write `{url, port, pid, started_at}` (mode 0600); removed on close. */
  discoveryFile?: string;
  /** Time to receive a whole request (not the response: streams are not cut). Default 30 s. */
  requestTimeoutMs?: number;
}

export interface ApiServer {
  port: number;
  url: string;
  api: ApiApp;
  close(): Promise<void>;
}

export interface DiscoveryInfo {
  url: string;
  port: number;
  pid: number;
  started_at: number;
}

function checkHost(host: string | undefined): void {
  if (host === undefined || host === LOOPBACK_HOST) return;
  throw new ApiConfigError(
    `the API listens on ${LOOPBACK_HOST} only; '${host}' is not allowed (anyone who can reach the port could steer your jobs). ` +
      'To use it from elsewhere, tunnel to the loopback port (for example ssh -L).',
  );
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ApiConfigError(`API port must be a whole number from 0 to 65535 (got ${port})`);
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') reject(new ApiConfigError(`port ${port} on ${LOOPBACK_HOST} is in use; choose another port, or 0 for any free one`));
      else if (err.code === 'EACCES') reject(new ApiConfigError(`not allowed to listen on port ${port}; use a port above 1023, or 0`));
      else reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port, host: LOOPBACK_HOST, exclusive: true });
  });
}

export function writeDiscoveryFile(path: string, info: DiscoveryInfo): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  checkHost(opts.host);
  checkPort(opts.port);
  const requestTimeout = opts.requestTimeoutMs ?? 30_000;
  const server = createServer({ requestTimeout, headersTimeout: Math.min(10_000, requestTimeout), keepAliveTimeout: 5_000 });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server, opts.port);
  let api: ApiApp;
  try {
    api = createApp({ ...opts, port });
  } catch (err) {
    server.close();
    throw err;
  }
  server.on('request', api.app);
  const url = `http://${LOOPBACK_HOST}:${port}`;
  if (opts.discoveryFile) {
    try {
      writeDiscoveryFile(opts.discoveryFile, { url, port, pid: process.pid, started_at: Date.now() });
    } catch (err) {
      // The API works without it; only local tools that look for it are affected.
      opts.logger?.warn(`could not write the discovery file ${opts.discoveryFile}: ${(err as Error).message}`);
    }
  }
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      api.close();
      if (opts.discoveryFile) rmSync(opts.discoveryFile, { force: true });
      server.close(() => resolve());
      server.closeIdleConnections();
      // Requests in flight get a moment; then every socket goes (streams were ended by api.close()).
      setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, 1000).unref();
    }));
  return { port, url, api, close };
}
