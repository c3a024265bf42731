// A job's life as one explicit state, driven tick by tick: a fake clock runs
// the back-off timers, a scripted judge says what each tick earns, and the
// jobs are real `sleep` processes in their own process groups (so stops and
// exits are real, and quick).
import { strict as assert } from 'node:assert';
import { tmpdir } from 'node:os';
import { Detector } from '../../../server/detect/detector';
import { Engine } from '../../../server/engine/engine';
import type { InterventionEvent } from '../../../server/engine/events';
import type { JobController, JobSpec } from '../../../server/engine/job';
import { canTransition, InvalidTransitionError, JobStateMachine, type JobStateName } from '../../../server/engine/jobState';
import type { JudgeFactory } from '../../../server/engine/judge';
import { resolveSettings } from '../../../server/policy';
import { DEFAULT_RESTART } from '../../../server/policy/restart';
import { enforce, heldBackReason } from '../../../server/policy/rollout';
import type { Verdict } from '../../../server/policy/types';
import type { Action, Incident } from '../../../server/shared/protocol/domain';
import { openStore, type SqlEvidenceStore } from '../../../server/store';
import { LinuxProcSource } from '../../../server/supervisor/processTable';
import { FakeClock } from '../../../server/util/clock';
import { createLogger } from '../../../server/util/logger';
import { waitFor } from '../../helpers/processes';

/** What the scripted judge intends on the n-th evaluation (from 0) of attempt `attempt`. */
type Script = (attempt: number, n: number) => Action;

/**
 * The real detector for the signal snapshot; the verdict comes from the script,
 * held back by the policy's own enforce() (so protection off works as in production).
 */
function scriptedJudge(script: Script): JudgeFactory {
  let attempt = 0;
  return (settings, _runKey, startedAt) => {
    const detector = new Detector(settings.detection, startedAt);
    const mine = attempt++;
    let n = 0;
    let inEpisode = false;
    return {
      observeOutput: (stream, chunk, t) => detector.observeOutput(stream, chunk, t),
      observeResources: (reading) => detector.observeResources(reading),
      evaluate: (t, inputs) => {
        const snapshot = detector.snapshot(t);
        const intended = script(mine, n++);
        const { action, enforced, heldBy } = enforce(intended, { rollout: settings.rollout, bucket: 0, protection: inputs.protection });
        const firing = intended !== 'continue';
        const episode = firing ? { phase: inEpisode ? ('update' as const) : ('open' as const), kind: 'cpu_loop', title: 'CPU loop' } : null;
        inEpisode = firing;
        const verdict: Verdict = {
          action,
          intended,
          enforced,
          heldBy,
          canaryBucket: null,
          record: true,
          notify: episode?.phase === 'open',
          confidence: firing ? 0.9 : 0,
          rules: [{ id: 'cpu_loop', title: 'CPU loop', fired: firing, confidence: 0.9, detail: 'scripted' }],
          signals: [],
          reason: heldBackReason(firing ? 'CPU loop: scripted' : 'No runaway signs.', intended, heldBy, settings.rollout, 0),
          findings: firing ? [{ rule: 'cpu_loop', title: 'CPU loop', text: 'scripted' }] : [],
          templates: [],
          evidence: [],
          episode,
        };
        return { snapshot, verdict };
      },
    };
  };
}

interface World {
  clock: FakeClock;
  engine: Engine;
  store: SqlEvidenceStore;
  errors: string[];
  warnings: string[];
  interventions: InterventionEvent['kind'][];
  incidents: Map<string, Incident>;
}

let world: World | null = null;

async function setUp(script: Script): Promise<World> {
  const clock = new FakeClock(Date.now());
  const store = (await openStore({ path: null, clock })).store;
  const errors: string[] = [];
  const warnings: string[] = [];
  const logger = createLogger((level, line) => (level === 'error' ? errors : level === 'warn' ? warnings : []).push(line), 'debug');
  const engine = new Engine({ store, clock, logger, processSource: new LinuxProcSource(), judgeFactory: scriptedJudge(script), sampleIntervalMs: 1000 });
  const w: World = { clock, engine, store, errors, warnings, interventions: [], incidents: new Map() };
  engine.events.on('intervention', (e) => w.interventions.push(e.kind));
  engine.events.on('incident', (i) => w.incidents.set(i.id, { ...i }));
  world = w;
  return w;
}

function sleepJob(w: World, overrides: { onRunaway?: 'kill' | 'restart' | 'alert'; budget?: number; command?: string; args?: string[] } = {}): JobController {
  const settings = resolveSettings({ onRunaway: overrides.onRunaway ?? 'restart', graceMs: 2000 });
  settings.restart = { ...DEFAULT_RESTART, initialDelayMs: 1000, budget: overrides.budget ?? 3 };
  const spec: JobSpec = {
    name: 'sleeper',
    command: overrides.command ?? 'sleep',
    args: overrides.args ?? ['30'],
    shell: false,
    // A stop writes flowforge-feedback.md beside the job: keep it out of the checkout.
    cwd: tmpdir(),
    source: 'cli',
    workspaceId: 'ws-test',
    owner: null,
    restartable: true,
    settings,
    stdin: 'ignore',
  };
  return w.engine.startJob(spec);
}

const inState = (job: JobController, name: JobStateName) => waitFor(() => job.state.name === name, 10_000, 10);

/** One sampling tick of the engine (the fake clock never fires the engine's own timer). */
const tick = (w: World) => w.engine.tick();

describe('engine: the job state machine', function () {
  this.timeout(20_000);

  afterEach(async () => {
    if (!world) return;
    await world.engine.shutdown('test over');
    world.store.close();
    world = null;
  });

  it('starts running a real process and records it', async () => {
    const w = await setUp(() => 'continue');
    const job = sleepJob(w);
    assert.equal(job.state.name, 'running');
    assert.equal(job.active, true);
    assert.ok(job.currentRun?.pid, 'no pid');
    await tick(w);
    assert.equal(job.state.name, 'running');
  });

  it('a reading far later than the interval is logged as a gap; ordinary ticks and idle time are not', async () => {
    const w = await setUp(() => 'continue');
    const settle = () => new Promise((r) => setImmediate(r)); // lets a tick that the clock fired finish
    const job = sleepJob(w);
    for (let s = 0; s < 3; s++) {
      w.clock.advance(1000);
      await settle();
    }
    assert.deepEqual(w.warnings, []);
    w.clock.stall(20_000); // the supervisor was stopped or starved for 20 s
    w.clock.advance(0); // it resumes: the overdue tick fires
    await settle();
    assert.equal(w.warnings.length, 1, w.warnings.join('\n'));
    assert.match(w.warnings[0]!, /^readings came late: durations start over \{"gapMs":2\d{4},"intervalMs":1000\}$/);
    await job.stop({ actor: 'test', reason: 'enough' });
    w.clock.advance(600_000); // no job for ten minutes: nothing was due, so no gap
    await settle();
    const next = sleepJob(w);
    for (let s = 0; s < 3; s++) {
      w.clock.advance(1000);
      await settle();
    }
    assert.equal(w.warnings.length, 1, w.warnings.join('\n'));
    await next.stop({ actor: 'test', reason: 'enough' });
  });

  it('stop during back-off: the job ends at once, as stopped by the user, and no attempt follows', async () => {
    const w = await setUp(() => 'restart');
    const job = sleepJob(w);
    await tick(w);
    assert.equal(job.state.name, 'stopping');
    await inState(job, 'backoff');
    assert.equal(job.runs[0]!.end_reason, 'restarted');
    const outcome = await job.stop({ actor: 'test', reason: 'enough' });
    assert.equal(job.state.name, 'ended');
    assert.equal(outcome.outcome, 'stopped_by_user');
    w.clock.advance(60_000); // well past the back-off: the cancelled restart must not fire
    assert.equal(job.runs.length, 1);
    assert.equal(job.active, false);
    assert.deepEqual(w.interventions, ['restart']);
  });

  it('restart budget spent: the last runaway is killed, with its own incident', async () => {
    const w = await setUp(() => 'restart');
    const job = sleepJob(w, { budget: 2 });
    for (let restart = 1; restart <= 2; restart++) {
      await tick(w);
      await inState(job, 'backoff');
      w.clock.advance(1000 * 2 ** (restart - 1)); // 1 s, then 2 s: the back-off doubles
      assert.equal(job.state.name, 'running', `attempt ${restart + 1} did not start after its back-off`);
    }
    await tick(w);
    const outcome = await job.whenEnded();
    assert.equal(job.state.name, 'ended');
    assert.deepEqual(job.runs.map((r) => r.end_reason), ['restarted', 'restarted', 'killed']);
    assert.equal(outcome.outcome, 'killed');
    assert.equal(outcome.attempts, 3);
    assert.deepEqual(w.interventions, ['restart', 'restart', 'budget_spent']);
    const spent = [...w.incidents.values()].find((i) => i.kind === 'restart_budget_spent');
    assert.ok(spent, 'no restart_budget_spent incident');
    assert.equal(spent.run_id, job.runs[2]!.id);
    assert.match(spent.reason, /^restart budget spent: 2 restarts in the last 300 s/);
  });

  it('protection off: a kill the rules earn is only an alert until protection comes back', async () => {
    const w = await setUp(() => 'kill');
    w.engine.setWorkspacePolicy('ws-test', { protection: false });
    const job = sleepJob(w, { onRunaway: 'kill' });
    for (let i = 0; i < 3; i++) await tick(w);
    assert.equal(job.state.name, 'running', 'an unprotected job was stopped');
    const held = [...w.incidents.values()][0]!;
    assert.deepEqual([held.action, held.intended, held.enforced], ['alert', 'kill', false]);
    assert.match(held.reason, /\(not acted on: protection is off for this workspace\)$/);
    assert.deepEqual(w.interventions, ['alert']);

    w.engine.setWorkspacePolicy('ws-test', { protection: true });
    await tick(w);
    assert.equal(job.state.name, 'stopping');
    const outcome = await job.whenEnded();
    assert.equal(outcome.outcome, 'killed');
    assert.deepEqual(w.interventions, ['alert', 'kill']);
  });

  it('restart of an ended job: a new attempt runs, supervised like the first', async () => {
    const w = await setUp(() => 'continue');
    const job = sleepJob(w, { command: 'true', args: [] });
    const first = await job.whenEnded();
    assert.equal(first.outcome, 'exited');
    assert.equal(job.state.name, 'ended');
    const answer = job.restart({ actor: 'test', reason: 'again' });
    assert.ok(answer.ok && answer.run, 'restarting an ended job gave no run');
    assert.equal(answer.run.attempt, 2);
    assert.equal(job.active, true);
    const second = await job.whenEnded();
    assert.equal(second.attempts, 2);
    assert.equal(second.outcome, 'exited');
    assert.deepEqual(job.runs.map((r) => r.lifecycle), ['STOPPED', 'STOPPED']);
  });

  it('a manual restart during back-off starts the next attempt at once', async () => {
    const w = await setUp((attempt) => (attempt === 0 ? 'restart' : 'continue'));
    const job = sleepJob(w);
    await tick(w);
    await inState(job, 'backoff');
    const answer = job.restart({ actor: 'test', reason: 'now, please' });
    assert.ok(answer.ok && answer.run);
    assert.equal(job.state.name, 'running');
    w.clock.advance(60_000); // the cancelled automatic restart must not start a third attempt
    assert.equal(job.runs.length, 2);
  });

  it('a stop while stopping for a restart ends the job instead of restarting it', async () => {
    const w = await setUp(() => 'restart');
    const job = sleepJob(w);
    await tick(w);
    assert.equal(job.state.name, 'stopping');
    const outcome = await job.stop({ actor: 'test', reason: 'no more' });
    assert.equal(outcome.outcome, 'stopped_by_user');
    w.clock.advance(60_000);
    assert.equal(job.runs.length, 1);
    assert.equal(job.state.name, 'ended');
  });

  it('a listener that throws is logged; the job and the engine go on', async () => {
    const w = await setUp(() => 'continue');
    w.engine.events.on('journal', () => {
      throw new Error('listener broke');
    });
    const job = sleepJob(w, { command: 'true', args: [] });
    const outcome = await job.whenEnded();
    assert.equal(outcome.outcome, 'exited');
    assert.ok(w.errors.length > 0, 'nothing was logged');
    assert.match(w.errors[0]!, /a listener of the engine's 'journal' event failed.*listener broke/);
  });
});

describe('engine: job state transitions', () => {
  const ALL: JobStateName[] = ['starting', 'running', 'stopping', 'backoff', 'ended'];
  const EXPECTED = new Set([
    'ended>starting',
    'starting>running',
    'starting>stopping',
    'running>stopping',
    'stopping>stopping',
    'stopping>backoff',
    'stopping>ended',
    'backoff>starting',
    'backoff>ended',
  ]);

  it('allows exactly the documented transitions', () => {
    for (const from of ALL) for (const to of ALL) assert.equal(canTransition(from, to), EXPECTED.has(`${from}>${to}`), `${from} → ${to}`);
  });

  it('rejects an invalid transition and keeps the state it had', () => {
    const entered: string[] = [];
    const machine = new JobStateMachine((next) => entered.push(next.name));
    assert.throws(
      () => machine.transition({ name: 'backoff', timer: {}, requestId: null }, 'test'),
      (err: unknown) => err instanceof InvalidTransitionError && err.from === 'ended' && err.to === 'backoff' && /cannot go from ended to backoff/.test(err.message),
    );
    assert.equal(machine.state.name, 'ended');
    assert.deepEqual(entered, []);
  });

  it('a running job cannot end or back off without stopping first', async () => {
    const w = await setUp(() => 'continue');
    const job = sleepJob(w);
    assert.equal(job.state.name, 'running');
    const machine = (job as unknown as { machine: JobStateMachine }).machine;
    assert.throws(() => machine.transition({ name: 'ended', outcome: null }, 'test'), InvalidTransitionError);
    assert.throws(() => machine.transition({ name: 'backoff', timer: {}, requestId: null }, 'test'), InvalidTransitionError);
    assert.equal(job.state.name, 'running');
  });
});
