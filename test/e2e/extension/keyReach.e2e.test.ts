// A hostile job inside a real VS Code task (code-server): test/fixtures/keyProbe.js
// runs as a `flowforge` task, reads its own and every ancestor's environment and
// command line (the backend, the extension host, code-server) and every file
// under FlowForge's state and runtime folders and VS Code's user data (where the
// backend's store and discovery file live), and tries each token-like string on
// an admin and a submit route. Nothing may open one. Acceptance 1 of issue 18.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { eventually, useE2eSession } from '../harness';
import { KEY_PROBE, type KeyProbeFindings } from '../../helpers/keyProbe';
import { extensionUnderTest, inHost, makeFolder, startTask, taskExitCode } from './fixtures';

describe('FlowForge in VS Code: keys out of a task’s reach', function () {
  this.timeout(180_000);
  // FlowForge's state and runtime folders of this session (not the user's own).
  const base = mkdtempSync(join(tmpdir(), 'ff-e2e-keys-'));
  const state = join(base, 'state');
  const runtime = join(base, 'runtime');
  const findingsFile = join(base, 'findings.json');
  let folder = '';
  const session = useE2eSession(async () => {
    mkdirSync(state, { recursive: true, mode: 0o700 });
    mkdirSync(runtime, { recursive: true, mode: 0o700 });
    folder = makeFolder('keys', []);
    return { workspace: folder, ...(await extensionUnderTest()), hostTests: ['test/e2e/extension/extension.host.ts'], hostAutorun: false, env: { XDG_STATE_HOME: state, XDG_RUNTIME_DIR: runtime } };
  });
  after(() => {
    rmSync(base, { recursive: true, force: true });
    if (folder) rmSync(dirname(folder), { recursive: true, force: true });
  });

  it('a flowforge task reading every ancestor and FlowForge’s folders finds nothing that opens an admin or submit route', async () => {
    // The task is written once the window is up, so it can name the session's folders.
    const probe = { label: 'key probe', type: 'flowforge', command: process.execPath, args: [KEY_PROBE, findingsFile, state, runtime, session.server.rootDir] };
    // makeFolder wrote an empty tasks.json; VS Code picks up the new one while the window is open.
    writeFileSync(join(folder, '.vscode', 'tasks.json'), JSON.stringify({ version: '2.0.0', tasks: [probe] }, null, 2));
    await eventually(() => inHost<string[]>(session, 'return (await vscode.tasks.fetchTasks()).map((t) => t.name)'), (names) => names.includes('key probe'), {
      message: 'the key probe task',
    });
    const backend = await inHost<{ url: string }>(session, 'return await ff.backend.process.ready()');
    await startTask(session, 'key probe');
    assert.equal(await taskExitCode(session, 'key probe', 120_000), 0);
    await eventually(() => existsSync(findingsFile), Boolean, { message: 'the probe’s findings' });
    const f = JSON.parse(readFileSync(findingsFile, 'utf8')) as KeyProbeFindings;
    const summary = `${f.ancestors.length} ancestors, ${f.files} files, ${f.candidates} candidates, urls ${f.urls.join(' ')}`;
    console.log(`      the probe read ${summary}`);
    // The probe must have reached the live backend (its discovery file) and read real things, or it proves nothing.
    assert.ok(f.urls.includes(backend.url), `the probe did not find the backend at ${backend.url}: ${summary}`);
    assert.ok(f.ancestors.length >= 3, `the probe read too few ancestors (backend, extension host, code-server): ${summary}`);
    assert.ok(f.files >= 5, `the probe read too few files: ${summary}`);
    assert.ok(f.candidates >= 10, `too few candidates: ${summary}`);
    assert.deepEqual(f.opened, [], `a task found a key that opens the API: ${JSON.stringify(f.opened)}`);
  });
});
