// A real engine (in-memory store, real processes) behind a real API server on
// 127.0.0.1, and a small HTTP client that can send any Host, Origin or body.
import { request as httpRequest, Agent } from 'node:http';
import { startApiServer, type ApiServer, type ApiServerOptions } from '../../../server/api';
import { generateApiKey } from '../../../server/shared/apiKeyGen';
import { Engine, type EngineOptions } from '../../../server/engine/engine';
import { openStore } from '../../../server/store';
import type { EvidenceStore } from '../../../server/store/types';

export const KEYS = {
  admin: generateApiKey(),
  read: generateApiKey(),
  submit: generateApiKey(),
  other: generateApiKey(),
};

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface Sent {
  key?: keyof typeof KEYS | null;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string or Buffer as is. */
  body?: unknown;
}

export class TestApi {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });

  constructor(
    readonly server: ApiServer,
    readonly engine: Engine,
    readonly store: EvidenceStore,
  ) {}

  get port(): number {
    return this.server.port;
  }

  request(method: string, path: string, sent: Sent = {}): Promise<Answer> {
    const headers: Record<string, string> = { host: `127.0.0.1:${this.port}`, ...sent.headers };
    const key = sent.key === undefined ? 'admin' : sent.key;
    if (key) headers.authorization ??= `Bearer ${KEYS[key]}`;
    let payload: Buffer | null = null;
    if (sent.body !== undefined) {
      payload = Buffer.isBuffer(sent.body) ? sent.body : Buffer.from(typeof sent.body === 'string' ? sent.body : JSON.stringify(sent.body));
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(payload.length);
    }
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: this.port, method, path, headers, agent: this.agent, setHost: false }, (res) => {
        if (String(res.headers['content-type']).startsWith('text/event-stream')) {
          // A stream never ends: its status and headers are the answer.
          res.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: '', json: undefined });
          return;
        }
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let json: unknown = undefined;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload ?? undefined);
    });
  }

  get = (path: string, sent?: Sent) => this.request('GET', path, sent);
  post = (path: string, body: unknown, sent: Sent = {}) => this.request('POST', path, { ...sent, body });

  async close(): Promise<void> {
    this.agent.destroy();
    await this.server.close();
    await this.engine.shutdown('test over');
    await this.store.close();
  }
}

export async function startTestApi(
  opts: { engine?: Partial<EngineOptions>; api?: Partial<ApiServerOptions>; storePath?: string } = {},
): Promise<TestApi> {
  const { store } = await openStore({ path: opts.storePath ?? null });
  const engine = new Engine({ store, sampleIntervalMs: 250, ...opts.engine });
  const server = await startApiServer({
    engine,
    port: 0,
    keys: [
      { name: 'extension', scope: 'admin', key: KEYS.admin },
      { name: 'dashboard', scope: 'read', key: KEYS.read },
      { name: 'agent', scope: 'submit', key: KEYS.submit },
      { name: 'other-agent', scope: 'submit', key: KEYS.other },
    ],
    ...opts.api,
  });
  return new TestApi(server, engine, store);
}

/** Checks the RFC 7807 shape and returns the problem. */
export function expectProblem(a: Answer, status: number): Answer['json'] {
  if (a.status !== status) throw new Error(`expected ${status}, got ${a.status}: ${a.text.slice(0, 300)}`);
  const type = String(a.headers['content-type'] ?? '');
  if (!type.startsWith('application/problem+json')) throw new Error(`content-type ${type}`);
  for (const f of ['type', 'title', 'status', 'detail', 'instance', 'request_id'])
    if (a.json?.[f] === undefined) throw new Error(`problem lacks ${f}: ${a.text}`);
  if (a.json.status !== status) throw new Error(`problem status ${a.json.status}`);
  if (a.json.request_id !== a.headers['x-request-id']) throw new Error('request_id differs from X-Request-Id');
  return a.json;
}

/** A TestApi for the tests of the enclosing describe block: one for all of them, or a fresh one for each. */
export function useTestApi(opts: Parameters<typeof startTestApi>[0] = {}, fresh: 'each' | 'once' = 'once'): { readonly api: TestApi } {
  let current: TestApi | null = null;
  const start = async () => void (current = await startTestApi(opts));
  const stop = () => current?.close();
  if (fresh === 'each') {
    beforeEach(start);
    afterEach(stop);
  } else {
    before(start);
    after(stop);
  }
  return {
    get api() {
      return current!;
    },
  };
}
