import { strict as assert } from 'node:assert';
import { ApiProblem } from '../../../server/api/problems';
import { parseInput } from '../../../server/api/validate';
import { canonicalJson, checkIdempotencyKey, IdempotencyLedger, requestHash } from '../../../server/api/idempotency';
import { InputBody, LinesBody, ProcessActionBody, RunsQuery, StartRunBody, TimelineQuery } from '../../../server/shared/protocol/api';
import { openStore } from '../../../server/store';
import { FakeClock } from '../../../server/util/clock';

function problemOf(fn: () => unknown): ApiProblem {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiProblem, `threw ${String(err)}`);
    return err;
  }
  assert.fail('did not throw');
}

describe('api input validation', () => {
  it('names every bad field with its location, including unknown ones', () => {
    const p = problemOf(() => parseInput(StartRunBody, { command: '', cwd: 'relative', args: ['ok', 7], colour: 'red' }, 'body'));
    assert.equal(p.status, 400);
    const paths = p.extra.errors!.map((e) => e.path).sort();
    assert.deepEqual(paths, ['body.args.1', 'body.colour', 'body.command', 'body.cwd']);
    assert.match(p.detail, /body\.cwd: must be an absolute path/);
    assert.match(p.detail, /body\.colour: unknown field/);
  });

  it('says "required" for missing fields and lists enum choices', () => {
    const p = problemOf(() => parseInput(ProcessActionBody, {}, 'body'));
    assert.deepEqual(p.extra.errors, [
      { path: 'body.run_id', message: 'required' },
      { path: 'body.reason', message: 'required' },
    ]);
    const q = problemOf(() => parseInput(TimelineQuery, { kinds: 'run,bogus' }, 'query'));
    assert.match(q.detail, /query\.kinds\.1: must be one of: run, decision/);
  });

  it('parses query strings: ranges, booleans, strict keys', () => {
    assert.deepEqual(parseInput(RunsQuery, { limit: '50', active: 'true' }, 'query'), { limit: 50, active: true });
    assert.match(problemOf(() => parseInput(RunsQuery, { limit: '0' }, 'query')).detail, /query\.limit: must be at least 1/);
    assert.match(problemOf(() => parseInput(RunsQuery, { limit: '501' }, 'query')).detail, /query\.limit: must be at most 500/);
    assert.match(problemOf(() => parseInput(RunsQuery, { limit: ['1', '2'] }, 'query')).detail, /query\.limit/);
    assert.match(problemOf(() => parseInput(RunsQuery, { page: '2' }, 'query')).detail, /query\.page: unknown field/);
  });

  it('checks cross-field rules on input and lines', () => {
    assert.match(problemOf(() => parseInput(InputBody, {}, 'body')).detail, /exactly one of data or data_base64/);
    assert.match(problemOf(() => parseInput(InputBody, { data: 'a', data_base64: 'YQ==' }, 'body')).detail, /exactly one/);
    assert.match(problemOf(() => parseInput(InputBody, { data_base64: '!!!' }, 'body')).detail, /body\.data_base64: must be base64/);
    assert.match(problemOf(() => parseInput(LinesBody, { lines: [] }, 'body')).detail, /at least one line or end/);
    assert.match(problemOf(() => parseInput(LinesBody, { lines: Array(1001).fill('x') }, 'body')).detail, /at most 1000 lines/);
    assert.deepEqual(parseInput(LinesBody, { lines: [], end: { exit_code: 0 } }, 'body'), { lines: [], end: { exit_code: 0 } });
  });

  it('fills defaults on a minimal run body', () => {
    const body = parseInput(StartRunBody, { command: 'node', cwd: '/tmp' }, 'body');
    assert.deepEqual(body, { command: 'node', cwd: '/tmp', args: [], shell: false, stdin: 'pipe', restartable: false });
  });
});

describe('api idempotency', () => {
  it('hashes bodies canonically: key order and undefined fields do not matter', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ y: 2, x: 1 }] }), '{"a":[{"x":1,"y":2}],"b":1}');
    assert.equal(requestHash('POST', '/v1/x', { a: 1, b: 2 }), requestHash('POST', '/v1/x', { b: 2, a: 1, c: undefined }));
    assert.notEqual(requestHash('POST', '/v1/x', { a: 1 }), requestHash('POST', '/v1/y', { a: 1 }));
    assert.notEqual(requestHash('POST', '/v1/x', { a: 1 }), requestHash('POST', '/v1/x', { a: '1' }));
  });

  it('accepts only sane keys', () => {
    assert.equal(checkIdempotencyKey(undefined), null);
    assert.equal(checkIdempotencyKey('abc-123'), 'abc-123');
    for (const bad of ['', 'has space', 'x'.repeat(129), 'é']) assert.throws(() => checkIdempotencyKey(bad), ApiProblem);
  });

  it('replays the first answer, refuses a different body, and does not store 5xx or 429', async () => {
    const clock = new FakeClock();
    const { store } = await openStore({ path: null, clock });
    const ledger = new IdempotencyLedger(store, clock);
    const first = ledger.begin('k1', 'ext POST /v1/process/kill', 'h1');
    assert.equal(first.kind, 'new');
    assert.throws(() => ledger.begin('k1', 'ext POST /v1/process/kill', 'h1'), /still being processed/);
    if (first.kind === 'new') first.finish({ status: 202, body: { ok: 1 } }, '{"ok":1}', false);
    const again = ledger.begin('k1', 'ext POST /v1/process/kill', 'h1');
    assert.deepEqual(again.kind === 'replay' && [again.status, again.json], [202, '{"ok":1}']);
    assert.throws(() => ledger.begin('k1', 'ext POST /v1/process/kill', 'h2'), (e: ApiProblem) => e.status === 409 && e.slug === 'idempotency-conflict');
    assert.equal(ledger.begin('k1', 'other POST /v1/process/kill', 'h2').kind, 'new', 'keys are per client and endpoint');

    for (const status of [500, 429]) {
      const o = ledger.begin(`k${status}`, 'ext POST /v1/process/restart', 'h');
      if (o.kind === 'new') o.finish({ status, body: {} }, '{}', true);
      assert.equal(ledger.begin(`k${status}`, 'ext POST /v1/process/restart', 'h').kind, 'new', `${status} was stored`);
    }
    clock.advance(25 * 3600_000);
    assert.equal(ledger.begin('k1', 'ext POST /v1/process/kill', 'h2').kind, 'new', 'expired after 24 h');
    await store.close();
  });
});
