// A listener that throws must not take down whoever emitted (the engine in the
// middle of a tick) nor, later, the process: the backend shuts down on an
// uncaught exception, so the error is handed to the logger and goes no further.
import { strict as assert } from 'node:assert';
import { TypedEmitter } from '../../../server/util/typedEmitter';

type Events = { ping: number };

/** Collects uncaught exceptions for the duration of `body` plus a few turns of the event loop. */
async function uncaughtDuring(body: () => void): Promise<unknown[]> {
  const seen: unknown[] = [];
  const mochaHandlers = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  const catcher = (err: unknown) => seen.push(err);
  process.on('uncaughtException', catcher);
  try {
    body();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 20));
  } finally {
    process.removeListener('uncaughtException', catcher);
    for (const h of mochaHandlers) process.on('uncaughtException', h);
  }
  return seen;
}

describe('util/TypedEmitter', () => {
  it('logs a throwing listener, still calls the others, and never rethrows', async () => {
    const logged: { err: unknown; event: string }[] = [];
    const emitter = new TypedEmitter<Events>((err, event) => logged.push({ err, event }));
    const got: number[] = [];
    emitter.on('ping', () => {
      throw new Error('listener broke');
    });
    emitter.on('ping', (n) => got.push(n));
    const uncaught = await uncaughtDuring(() => emitter.emit('ping', 7));
    assert.deepEqual(got, [7]);
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.event, 'ping');
    assert.match((logged[0]!.err as Error).message, /listener broke/);
    assert.deepEqual(uncaught, [], 'the error escaped to the process');
  });

  it('survives an error handler that throws too', async () => {
    const emitter = new TypedEmitter<Events>(() => {
      throw new Error('log sink closed');
    });
    let after = 0;
    emitter.on('ping', () => {
      throw new Error('listener broke');
    });
    emitter.on('ping', () => after++);
    const uncaught = await uncaughtDuring(() => emitter.emit('ping', 1));
    assert.equal(after, 1);
    assert.deepEqual(uncaught, []);
  });

  it('unsubscribes', () => {
    const emitter = new TypedEmitter<Events>();
    let n = 0;
    const off = emitter.on('ping', () => n++);
    emitter.emit('ping', 1);
    off();
    emitter.emit('ping', 2);
    assert.equal(n, 1);
    assert.equal(emitter.listenerCount('ping'), 0);
  });
});
