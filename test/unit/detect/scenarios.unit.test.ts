// Detector + policy on scripted jobs with a fake clock: the runaways of the
// corpus are caught in time, and the near misses (build burst, training loop
// with a climbing counter, slow keep-alive at full CPU, carriage-return
// progress bar, a burst of identical warnings followed by progress) are left
// alone.
import { strict as assert } from 'node:assert';
import { actions, lines, simulate, type Job } from './simulate';

const R01: Job = {
  seconds: 12,
  output: (i) => lines(5_000, i * 5_000, (k) => `[${k}] Processing item ${k % 7} at 0x${(k * 2654435761).toString(16)} with value 0.${(k * 7919) % 99991}`),
  cpu: () => 99,
};

const cycle = (parts: ((k: number) => string)[], perSecond: number): Job['output'] => (i) =>
  lines(perSecond, i * perSecond, (k) => parts[k % parts.length]!(Math.floor(k / parts.length) + 1));

const R02 = (cpu: number): Job => ({
  seconds: 20,
  output: cycle(
    [(a) => `Applying fix to src/parser.ts (attempt ${a})`, () => 'Running: npm test -- parser.spec.ts', () => 'FAIL parser.spec.ts: expected 3 tokens, received 2'],
    21,
  ),
  cpu: () => cpu,
});

describe('detect + policy: runaways', () => {
  it('stops a tight print loop at full CPU within 10 s, and says why', () => {
    const r = simulate(R01);
    const at = r.first('kill');
    assert.ok(at !== null && at <= 10, `killed at ${at}`);
    const v = r.ticks.find((x) => x.verdict.action === 'kill')!.verdict;
    assert.equal(v.rules.find((x) => x.fired)!.id, 'cpu_loop');
    assert.ok(v.confidence >= r.settings.detection.killConfidence);
    assert.deepEqual(v.templates.slice(0, 1), ['[<N>] Processing item <N> at <HEX> with value <N>']);
    assert.match(v.reason, /^CPU loop: \d+% CPU for \d+ s while repeating one line/);
    assert.ok(v.evidence.length >= 1);
  });

  it('stops a 3-line agent cycle at full CPU within 15 s, and on a contended machine (35% CPU) too', () => {
    for (const cpu of [100, 35]) {
      const r = simulate(R02(cpu));
      const at = r.first('kill');
      assert.ok(at !== null && at <= 15, `cpu ${cpu}: killed at ${at}`);
      const tick = r.ticks.find((x) => x.verdict.action === 'kill')!;
      assert.equal(tick.snap.output.cycleLength, 3);
      assert.equal(tick.snap.output.progressKnown, true);
      assert.ok(tick.snap.output.progress < 0.5, 'the attempt counter is not progress');
    }
  });

  it('stops two tool calls alternating with their observations (a 4-line cycle) within 20 s', () => {
    const obs = (s: number) => JSON.stringify({ step: s, type: 'observation', ok: true, bytes: 2048 });
    const r = simulate({
      seconds: 20,
      output: cycle(
        [
          (n) => JSON.stringify({ step: 2 * n - 1, type: 'tool_call', tool: 'read_file', args: { path: 'src/config.ts' } }),
          (n) => obs(2 * n - 1),
          (n) => JSON.stringify({ step: 2 * n, type: 'tool_call', tool: 'grep', args: { pattern: 'loadConfig', path: 'src' } }),
          (n) => obs(2 * n),
        ],
        16,
      ),
      cpu: () => 97,
    });
    const at = r.first('kill');
    assert.ok(at !== null && at <= 20, `killed at ${at}`);
    assert.equal(r.ticks.find((x) => x.verdict.action === 'kill')!.snap.output.cycleLength, 4);
  });

  it('flags a silent busy loop after ~50 s under standard but never stops it; the agent profile stops it within 150 s', () => {
    const job: Job = { seconds: 150, output: (i) => (i === 0 ? 'worker started\n' : ''), cpu: () => 100 };
    const std = simulate(job);
    const alert = std.first('alert');
    assert.ok(alert !== null && alert > 45 && alert <= 60, `alert at ${alert}`);
    assert.equal(std.first('kill'), null);
    const agent = simulate(job, { profile: 'agent' });
    const kill = agent.first('kill');
    assert.ok(kill !== null && kill >= 100 && kill <= 150, `killed at ${kill}`);
    assert.match(agent.ticks.find((x) => x.verdict.action === 'kill')!.verdict.reason, /Silent CPU spin: \d+% CPU for \d+ min/);
  });

  it('flags a low-CPU retry storm within 30 s; standard never stops it, agent does after its longer window', () => {
    const job: Job = {
      seconds: 100,
      output: (i) => lines(19, i * 19, (k) => `ERROR connect ECONNREFUSED 127.0.0.1:5432 (attempt ${k + 1}); retrying in 50ms`),
      cpu: () => 3,
    };
    const std = simulate(job);
    const alert = std.first('alert');
    assert.ok(alert !== null && alert <= 30, `alert at ${alert}`);
    assert.equal(std.first('kill'), null);
    assert.equal(std.ticks.find((x) => x.verdict.intended === 'alert')!.verdict.rules.find((x) => x.fired)!.id, 'output_loop');
    const agent = simulate(job, { profile: 'agent' });
    const kill = agent.first('kill');
    assert.ok(kill !== null && kill > 80 && kill <= 100, `killed at ${kill}`);
  });

  it('stops a job whose memory passes --max-memory-mb at once, with confidence 1', () => {
    const r = simulate({ seconds: 20, output: (i) => `cache size ${i * 40} MB\n`, cpu: () => 20, rssMb: (i) => 10 + i * 40 }, { maxMemoryMb: 400 });
    assert.equal(r.first('kill'), 11, 'the reading at the end of second 10 is the first over the limit');
    const v = r.ticks.find((x) => x.verdict.action === 'kill')!.verdict;
    assert.equal(v.confidence, 1);
    assert.match(v.reason, /^Memory limit: 410 MB of memory, over the 400 MB limit, climbing 40 MB\/s/);
  });

  it('alerts when memory climbs steadily past the floor, without a limit set', () => {
    const r = simulate({ seconds: 80, output: () => 'tick\n', cpu: () => 20, rssMb: (i) => 100 + i * 40 });
    const alert = r.first('alert');
    assert.ok(alert !== null, 'alerted');
    assert.equal(r.first('kill'), null);
    assert.equal(r.ticks.find((x) => x.verdict.intended === 'alert')!.verdict.episode?.kind, 'memory_climb');
  });

  it('stops a process explosion and alerts on sustained churn', () => {
    const boom = simulate({ seconds: 10, output: () => '', cpu: () => 80, procs: (i) => 1 + i * 100 });
    assert.equal(boom.ticks.find((x) => x.verdict.action === 'kill')?.verdict.rules.find((x) => x.fired)?.id, 'process_limit');
    const churn = simulate({ seconds: 40, output: () => 'spawned\n', cpu: () => 30, spawned: () => 80 });
    const alert = churn.ticks.find((x) => x.verdict.intended === 'alert');
    assert.equal(alert?.verdict.rules.find((x) => x.fired)?.id, 'process_churn');
    assert.equal(churn.first('kill'), null);
  });
});

describe('detect + policy: near misses are left alone', () => {
  const quiet = (r: ReturnType<typeof simulate>) => {
    assert.deepEqual([...actions(r)], ['continue'], r.ticks.find((x) => x.verdict.intended !== 'continue')?.verdict.reason);
  };

  it('a build burst: 8 s at full CPU compiling differently named modules, then a quiet link', () => {
    quiet(
      simulate({
        seconds: 16,
        output: (i) =>
          i < 8
            ? lines(40, i * 40, (k) => {
                const h = ((k * 2654435761) >>> 0).toString(16).padStart(8, '0');
                return `compiled src/module_${h}.ts -> dist/module_${h}.js`;
              })
            : i === 8
              ? 'linking bundle...\n'
              : '',
        cpu: (i) => (i < 9 ? 100 : 2),
      }),
    );
  });

  it('a training loop at full CPU whose step counter climbs (epoch slow, loss falling then noisy)', () => {
    let loss = 2.5;
    quiet(
      simulate({
        seconds: 45,
        output: (i) =>
          lines(150, i * 150, (k) => {
            const step = k + 1;
            loss = loss * 0.995 + 0.001 * ((step * 0.618) % 1);
            return `epoch ${Math.floor(step / 100)} step ${step} loss ${loss.toFixed(4)} lr 0.0003`;
          }),
        cpu: () => 100,
      }),
    );
  });

  it('a slow keep-alive line every 3 s during 60 s of full CPU', () => {
    quiet(simulate({ seconds: 62, output: (i) => (i % 3 === 0 ? 'still working...\n' : ''), cpu: () => 100 }));
  });

  it('a carriage-return progress bar redrawn 20 times a second (no newline until the end)', () => {
    const r = simulate({
      seconds: 22,
      output: (i) => {
        if (i >= 20) return i === 20 ? '\ndone\n' : '';
        let s = '';
        for (let k = 0; k < 20; k++) {
          const n = i * 20 + k;
          s += `\rdownloading model.bin [${'#'.repeat(Math.floor(n / 10))}${'.'.repeat(40 - Math.floor(n / 10))}] ${String(Math.floor(n / 4)).padStart(3)}%`;
        }
        return s;
      },
      cpu: () => 40,
    });
    quiet(r);
    assert.equal(r.ticks[10]!.snap.output.linesTotal, 0, 'redraws are not lines');
    assert.ok(r.ticks[10]!.snap.output.silenceMs <= 1000, 'but they are output');
    assert.equal(r.last().snap.output.linesTotal, 2);
  });

  it('300 identical warnings at start-up, then progress lines at full CPU', () => {
    quiet(
      simulate({
        seconds: 30,
        output: (i) =>
          (i === 0 ? lines(300, 0, () => 'WARNING: deprecated option --legacy-peer-deps ignored') : '') +
          lines(20, i * 20, (k) => `step ${k + 1}/600 loss ${(2 / Math.sqrt(k + 1)).toFixed(4)}`),
        cpu: () => 100,
      }),
    );
  });

  it('a silent computation for 40 s at full CPU, then its result', () => {
    quiet(simulate({ seconds: 42, output: (i) => (i === 41 ? 'result=42\n' : ''), cpu: (i) => (i <= 40 ? 100 : 1) }));
  });

  it('a heartbeat a second at idle CPU, and a test runner naming a new test per line at high CPU', () => {
    quiet(simulate({ seconds: 30, output: (i) => `heartbeat tick=${i} status=ok queue_depth=0\n`, cpu: () => 0.5 }));
    quiet(
      simulate({
        seconds: 25,
        output: (i) => lines(30, i * 30, (k) => `tests/unit/test_${((k * 40503) >>> 0).toString(16).slice(-6)}.py::test_handles_${((k * 69069) >>> 0).toString(16).slice(-6)} PASSED`),
        cpu: () => 95,
      }),
    );
  });
});
