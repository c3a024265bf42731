// Real processes, real /proc sampling (the supervisor's LinuxProcSource and
// TreeTracker), the real detector and policy, in real time: runaways of our
// own corpus are judged "kill" in time and a near miss is left alone. Margins
// are generous: the machine is shared and may be busy.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Detector } from '../../../server/detect/detector';
import type { SignalSnapshot } from '../../../server/detect/types';
import { PolicyEngine } from '../../../server/policy/policyEngine';
import { resolveSettings } from '../../../server/policy/resolveSettings';
import type { PolicyOverrides, Verdict } from '../../../server/policy/types';
import { LinuxProcSource } from '../../../server/supervisor/processTable';
import { TreeTracker } from '../../../server/supervisor/treeTracker';

const CORPUS = join(__dirname, '../../fixtures/corpus');

interface Watched {
  verdicts: { s: number; verdict: Verdict; snap: SignalSnapshot }[];
  stoppedAt: number | null;
}

/** Runs a corpus script under a live detector until the policy says stop, or for `seconds`. */
async function watch(script: string, seconds: number, overrides: PolicyOverrides = {}): Promise<Watched> {
  const settings = resolveSettings(overrides);
  const start = Date.now();
  const child = spawn(process.execPath, [join(CORPUS, script)], { cwd: CORPUS, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const detector = new Detector(settings.detection, start);
  const policy = new PolicyEngine(settings, `live-${script}`);
  child.stdout!.on('data', (c: Buffer) => detector.observeOutput('stdout', c, Date.now()));
  child.stderr!.on('data', (c: Buffer) => detector.observeOutput('stderr', c, Date.now()));
  const source = new LinuxProcSource();
  const tracker = new TreeTracker(child.pid!, child.pid!);
  const out: Watched = { verdicts: [], stoppedAt: null };
  try {
    while (Date.now() - start < seconds * 1000 && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 1000));
      const t = Date.now();
      detector.observeResources({ ...tracker.observe(await source.snapshot()), t });
      detector.flushPartial(t);
      const snap = detector.snapshot(t);
      const verdict = policy.evaluate(snap);
      out.verdicts.push({ s: (t - start) / 1000, verdict, snap });
      if (verdict.action === 'kill') {
        out.stoppedAt = (t - start) / 1000;
        break;
      }
    }
  } finally {
    for (const pid of [-child.pid!, ...tracker.tracked().map((p) => p.pid)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  return out;
}

describe('live detection on real processes', function () {
  this.timeout(90_000);

  it('a print flood is judged a CPU loop and stopped', async () => {
    const w = await watch('F01_print_flood.js', 25);
    assert.ok(w.stoppedAt !== null && w.stoppedAt <= 20, `stopped at ${w.stoppedAt}`);
    const v = w.verdicts[w.verdicts.length - 1]!.verdict;
    assert.equal(v.rules.find((r) => r.fired)?.id, 'cpu_loop');
    assert.match(v.templates[0]!, /^\[<N>\] sync job <N>: waiting for lock <HEX>$/);
  });

  it('a two-line tool-call cycle at high CPU is stopped, and seen as a 2-line cycle', async () => {
    const w = await watch('F02_tool_retry_cycle.js', 30);
    assert.ok(w.stoppedAt !== null && w.stoppedAt <= 25, `stopped at ${w.stoppedAt}`);
    assert.equal(w.verdicts[w.verdicts.length - 1]!.snap.output.cycleLength, 2);
  });

  it('a silent spin is stopped once the configured window has passed, judged by its CPU demand', async () => {
    const w = await watch('F06_silent_spin.js', 30, { configFile: join(CORPUS, 'short_windows.yaml'), profile: 'agent' });
    assert.ok(w.stoppedAt !== null && w.stoppedAt >= 15 && w.stoppedAt <= 28, `stopped at ${w.stoppedAt}`);
    const last = w.verdicts[w.verdicts.length - 1]!;
    assert.equal(last.verdict.rules.find((r) => r.fired)?.id, 'silent_spin');
    assert.ok((last.snap.cpu.demandPercent ?? 0) >= 80, `demand ${last.snap.cpu.demandPercent}`);
  });

  it('a keep-alive line every 2 s during 15 s of full CPU is left alone', async () => {
    const w = await watch('N03_keepalive_spin.js', 18);
    assert.equal(w.stoppedAt, null);
    assert.ok(w.verdicts.every((x) => x.verdict.intended === 'continue'), w.verdicts.find((x) => x.verdict.intended !== 'continue')?.verdict.reason);
  });
});
