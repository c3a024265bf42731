import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { definitionFor, npmScriptCommand, Quoting, quoteShellArg, shellCommandLine } from '../../../src/tasks/commandLine';

/** What sh sees: each argument on its own line. */
const shArgs = (line: string) => execFileSync('sh', ['-c', `printf '%s\\n' ${line}`], { encoding: 'utf8' });

describe('task command lines', () => {
  it('quotes arguments so that sh sees them unchanged', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[ -~]{1,12}$/), { minLength: 1, maxLength: 4 }), (args) => {
        assert.equal(shArgs(args.map(quoteShellArg).join(' ')), args.map((a) => `${a}\n`).join(''));
      }),
      { numRuns: 40 },
    );
  });

  it('honours VS Code’s quoting styles', () => {
    assert.equal(quoteShellArg('plain'), 'plain');
    assert.equal(quoteShellArg({ value: 'a b', quoting: Quoting.Strong }), "'a b'");
    assert.equal(quoteShellArg({ value: 'a "$b"', quoting: Quoting.Weak }), '"a \\"\\$b\\""');
    assert.equal(quoteShellArg({ value: 'a b', quoting: Quoting.Escape }), 'a\\ b');
    assert.equal(shArgs(quoteShellArg({ value: "it's $HOME", quoting: Quoting.Escape })), "it's $HOME\n");
  });

  it('keeps a ShellExecution command line as written, or joins command and args', () => {
    assert.equal(shellCommandLine({ commandLine: 'echo $HOME && ls' }), 'echo $HOME && ls');
    assert.equal(shellCommandLine({ command: 'echo', args: ['hello world', { value: 'x', quoting: Quoting.Strong }] }), "echo 'hello world' 'x'");
  });

  it('turns shell and process tasks into flowforge definitions with cwd and env', () => {
    assert.deepEqual(definitionFor({ kind: 'shell', commandLine: 'make -j4', cwd: '/w', env: { A: '1' } }, 'build'), {
      type: 'flowforge', name: 'build', cwd: '/w', env: { A: '1' }, command: 'make -j4', shell: true,
    });
    assert.deepEqual(definitionFor({ kind: 'process', process: '/usr/bin/python3', args: ['t.py'] }, 'train'), {
      type: 'flowforge', name: 'train', command: '/usr/bin/python3', args: ['t.py'], shell: false,
    });
    assert.equal(npmScriptCommand('test:unit'), 'npm run test:unit');
    assert.equal(npmScriptCommand('my script'), "npm run 'my script'");
  });
});
