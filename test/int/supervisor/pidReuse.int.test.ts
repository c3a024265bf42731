// Pid reuse, for real: a tracked job process dies and an unrelated process is
// born with the same pid (and, being a group leader, the same group id). The
// kernel hands out a chosen pid when /proc/sys/kernel/ns_last_pid is set to one
// below it (root in the pid namespace). Neither the teardown nor the reaper may
// signal the stranger; the real job next to it still goes.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProcStat, LinuxProcSource } from '../../../server/supervisor/processTable';
import { REAPER_SOURCE } from '../../../server/supervisor/reaper';
import { stopTree } from '../../../server/supervisor/teardown';
import { TreeTracker } from '../../../server/supervisor/treeTracker';
import { sleep } from '../../../server/util/clock';
import { waitFor } from '../../helpers/processes';

const NS_LAST_PID = '/proc/sys/kernel/ns_last_pid';
const IDLE = 'setInterval(() => {}, 1000)';
/** A stranger that writes down every catchable signal it gets. */
const STRANGER = (log: string) =>
  `const fs=require('fs');for (const s of ['SIGTERM','SIGINT','SIGHUP']) process.on(s,()=>fs.appendFileSync(${JSON.stringify(log)}, s+'\\n'));setInterval(()=>{},1000)`;

function canChoosePids(): boolean {
  try {
    writeFileSync(NS_LAST_PID, readFileSync(NS_LAST_PID, 'utf8').trim());
    return true;
  } catch {
    return false;
  }
}

function startTime(pid: number): number | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'latin1'))?.startTime ?? null;
  } catch {
    return null;
  }
}

const alive = (pid: number) => {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'latin1'))!.state !== 'Z';
  } catch {
    return false;
  }
};

/** Spawns a detached process (its own group) that gets exactly `pid`; other processes on the machine race us, so retry. */
async function spawnAtPid(pid: number, script: string, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  for (let attempt = 0; attempt < 200; attempt++) {
    writeFileSync(NS_LAST_PID, String(pid - 1));
    const c = spawn(process.execPath, ['-e', script], { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH, ...env } });
    if (c.pid === pid) return c;
    c.kill('SIGKILL');
    await sleep(5);
  }
  throw new Error(`could not get pid ${pid} back`);
}

async function killAndReap(c: ChildProcess): Promise<void> {
  const gone = new Promise((r) => c.once('exit', r));
  c.kill('SIGKILL');
  await gone;
  // Start times count clock ticks (10 ms): a real wrap of the pid space takes far
  // longer than one tick, so the stranger must not be born in the same tick.
  await sleep(50);
}

describe('pid reuse: teardown and reaper never signal a stranger', function () {
  this.timeout(60_000);
  let dir: string;
  const started: ChildProcess[] = [];
  before(function () {
    if (!canChoosePids()) this.skip(); // needs root in the pid namespace to pick pids
  });
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ff-pidreuse-'))));
  afterEach(() => {
    for (const c of started.splice(0)) {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('teardown: the job root died and its pid (and group id) went to a stranger', async () => {
    const token = `tok${Date.now()}`;
    const root = spawn(process.execPath, ['-e', IDLE], { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH, FLOWFORGE_JOB_TOKEN: token } });
    started.push(root);
    const source = new LinuxProcSource();
    const tracker = new TreeTracker(root.pid!, root.pid!);
    await waitFor(() => startTime(root.pid!) !== null, 5000);
    tracker.observe(await source.snapshot());
    const pid = root.pid!;
    await killAndReap(root);

    const log = join(dir, 'signals.log');
    const stranger = await spawnAtPid(pid, STRANGER(log));
    started.push(stranger);
    await sleep(300); // its signal handlers are in place
    const strangerStart = startTime(pid);

    const result = await stopTree(source, tracker, { graceMs: 500, token });
    assert.equal(result.confirmed, true);
    assert.ok(alive(pid) && startTime(pid) === strangerStart, 'the stranger that reused the pid was killed');
    assert.equal(existsSync(log) ? readFileSync(log, 'utf8') : '', '', 'the stranger was signalled');
  });

  it('reaper: after the supervisor dies it kills the live job but not the stranger on a reused group id', async () => {
    const token = `tok${Date.now()}`;
    const doomed = spawn(process.execPath, ['-e', IDLE], { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH, FLOWFORGE_JOB_TOKEN: token } });
    const job = spawn(process.execPath, ['-e', IDLE], { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH, FLOWFORGE_JOB_TOKEN: token } });
    started.push(doomed, job);
    await waitFor(() => startTime(doomed.pid!) !== null && startTime(job.pid!) !== null, 5000);
    const reaper = spawn(process.execPath, ['-e', REAPER_SOURCE], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    started.push(reaper);
    // Running (it names itself once its program started), so it reads the list now.
    await waitFor(() => readFileSync(`/proc/${reaper.pid}/cmdline`, 'latin1').startsWith('flowforge-reaper'), 10_000);
    reaper.stdin!.write(`G ${doomed.pid}\nG ${job.pid}\nT ${token}\n`);
    await sleep(300); // the reaper has read its list

    const pid = doomed.pid!;
    await killAndReap(doomed);
    const log = join(dir, 'signals.log');
    const stranger = await spawnAtPid(pid, STRANGER(log));
    started.push(stranger);
    await sleep(300);

    reaper.stdin!.destroy(); // the supervisor is gone without a goodbye
    await waitFor(() => startTime(job.pid!) === null || !alive(job.pid!), 5000).catch(() => assert.fail('the reaper did not kill the live job'));
    await sleep(700); // every sweep pass is over
    assert.ok(alive(pid), 'the stranger on the reused group id was killed');
    assert.equal(existsSync(log) ? readFileSync(log, 'utf8') : '', '', 'the stranger was signalled');
  });
});
