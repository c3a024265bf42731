// Feedback for the next attempt: when FlowForge stops a looping agent it
// writes flowforge-feedback.md beside the job, and the restarted attempt gets
// it (FLOWFORGE_FEEDBACK_FILE, and on stdin when asked), as the original's
// --inject-feedback did. The simulated agent that reads it does not loop again.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { plainJobSpec } from '../../../server/bench/benchJob';
import { resolveSettings } from '../../../server/policy/resolveSettings';
import { FIXTURES, REPO } from '../../helpers/processes';
import { useEngine } from './engineBox';

const SIM = join(FIXTURES, 'agents', 'simAgent.js');

describe('flowforge-feedback.md: written on stop, handed to the restarted attempt', function () {
  this.timeout(90_000);
  const box = useEngine('ff-feedback-');

  function start(extra: { injectFeedback?: boolean; feedbackFile?: string | null; onRunaway?: 'kill' | 'restart' }) {
    let output = '';
    const args = [SIM, '--agent=claude', '--mode=loop', '--listen=0', '--call-ms=10', '--work=6', ...(extra.injectFeedback ? ['--read-stdin'] : [])];
    const job = box.engine.startJob(
      plainJobSpec('sim-agent', process.execPath, args, {
        cwd: box.dir,
        env: { FLOWFORGE_HOOK: join(REPO, 'dist/flowforge-hook') },
        restartable: extra.onRunaway === 'restart',
        settings: resolveSettings({ profile: 'agent', onRunaway: extra.onRunaway ?? 'restart' }),
        stdin: 'pipe',
        injectFeedback: extra.injectFeedback,
        feedbackFile: extra.feedbackFile,
      }),
    );
    box.engine.events.on('output', (o) => {
      if (o.job_id === job.jobId) output += o.chunk.toString();
    });
    return { job, output: () => output };
  }

  it('the restarted agent gets the feedback by file and on stdin, and does not loop again', async () => {
    const { job, output } = start({ injectFeedback: true, onRunaway: 'restart' });
    // The first attempt gets nothing on stdin: close it so the simulator reads an empty feedback.
    job.io.closeInput();
    const outcome = await job.whenEnded();
    const path = join(box.dir, 'flowforge-feedback.md');
    assert.ok(existsSync(path), 'written beside the job');
    const text = readFileSync(path, 'utf8');
    assert.match(text, /^# FlowForge feedback\n\nFlowForge stopped and is restarting `.*simAgent\.js .*` \(attempt 1\)/);
    assert.match(text, /## What looped\n\n- \*\*Tool-call loop\*\*: the same call \d+ times in a row: Bash: npm test/);
    assert.match(text, /## Evidence \(last calls or lines\)\n\n {4}Bash: npm test → error: Error: Cannot find module/);
    assert.match(text, /## What to try instead\n\n- Do not run the same call again/);

    assert.equal(outcome.attempts, 2);
    assert.equal(outcome.outcome, 'restarted', 'the job as a whole: FlowForge restarted it');
    assert.equal(outcome.exit_code, 0, 'the second attempt finished its work');
    assert.equal(box.store.getRun(job.runs[1]!.id)!.end_reason, 'exited');
    const events = output().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const fromFile = events.find((e) => e.ev === 'feedback_file')!;
    assert.equal(fromFile.path, path);
    assert.equal(fromFile.looped, true);
    const fromStdin = events.filter((e) => e.ev === 'feedback_stdin');
    assert.equal(fromStdin.length, 2, 'both attempts read stdin');
    assert.equal(fromStdin[0]!.bytes, 0, 'attempt 1 got nothing');
    assert.equal(fromStdin[1]!.bytes, statSync(path).size, 'attempt 2 got the whole file on stdin');
    const summaries = events.filter((e) => e.ev === 'summary');
    // Attempt 1 was told to stop and then stopped by FlowForge (no summary); attempt 2 finished without looping.
    assert.ok(events.some((e) => e.ev === 'halted'));
    assert.deepEqual(summaries.map((e) => [e.outcome, e.loopCalls]), [['finished', 0]]);
  });

  it('a chosen path is used; null writes nothing', async () => {
    const chosen = join(box.dir, 'notes', '..', 'why-stopped.md');
    const a = start({ feedbackFile: chosen, onRunaway: 'kill' });
    a.job.io.closeInput();
    const outcome = await a.job.whenEnded();
    assert.equal(outcome.outcome, 'killed');
    assert.ok(existsSync(join(box.dir, 'why-stopped.md')));
    assert.ok(!existsSync(join(box.dir, 'flowforge-feedback.md')));
    rmSync(join(box.dir, 'why-stopped.md'));

    const b = start({ feedbackFile: null, onRunaway: 'kill' });
    b.job.io.closeInput();
    await b.job.whenEnded();
    assert.ok(!existsSync(join(box.dir, 'why-stopped.md')) && !existsSync(join(box.dir, 'flowforge-feedback.md')));
  });
});
