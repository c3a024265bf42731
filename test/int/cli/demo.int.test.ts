// `flowforge demo`, the README's first command, run as a user runs it: the built
// CLI in a folder of its own, a store of its own. It must catch and restart the
// looping agent, leave the build alone, point at the evidence and at what it told
// the agent, and leave nothing in the folder it was started from.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useBuiltCli, withStore } from '../../helpers/cliRun';

describe('flowforge demo (built CLI)', function () {
  this.timeout(120_000);
  const cli = useBuiltCli('ff-demo-int-');

  it('catches and restarts the looping agent, leaves the build alone, and writes nothing where it was started', async () => {
    const db = join(cli.dir, 'store', 'demo.db');
    const { code, output } = await cli.run(['demo', '--db', db]);
    assert.equal(code, 0, output.slice(-3000));
    assert.match(output, /Runaway detected in \d+\.\d seconds/);
    assert.match(output, /Process recovered \(attempt 2 ran under supervision and exited cleanly\)/);
    assert.match(output, /Healthy build finished untouched \(no alerts, no intervention\)/);
    const incident = /timeline --incident (inc_\w+) --db (.+)/.exec(output);
    assert.ok(incident, `no timeline hint in:\n${output.slice(-1500)}`);
    assert.equal(incident[2]!.trim(), db);
    // The feedback a stop leaves for the agent is in the demo's own folder, and says what was looped.
    const feedback = /What FlowForge left for the agent's next attempt: (.+)/.exec(output)?.[1]?.trim();
    assert.ok(feedback && existsSync(feedback), `feedback file ${feedback}`);
    assert.match(readFileSync(feedback, 'utf8'), /calling tool read_file/);
    assert.deepEqual(readdirSync(cli.dir), ['store'], 'the demo wrote into the folder it was started from');
    const recorded = await withStore(db, (store) => store.getIncident(incident[1]!));
    assert.equal(recorded?.kind, 'cpu_loop');
  });
});
