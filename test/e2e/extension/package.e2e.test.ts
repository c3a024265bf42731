// What a user installs carries no test code: the packaged VSIX (the e2e-vsix
// tier sets FLOWFORGE_E2E_VSIX) holds no test files, and its extension bundle
// has no trace of the e2e host hook, which only the test-only host bridge
// extension carries. Skipped for the unpacked dev folder.
import { execFileSync } from 'node:child_process';
import * as assert from 'node:assert/strict';
import { hostEnv } from '../harness/host/protocol';

describe('the packaged VSIX', () => {
  it('carries no test code: no test files, no e2e host hook in its extension bundle', function () {
    const vsix = process.env.FLOWFORGE_E2E_VSIX;
    if (!vsix) this.skip();
    const entries = execFileSync('unzip', ['-Z1', vsix], { encoding: 'utf8' }).split('\n').filter(Boolean);
    assert.ok(entries.includes('extension/dist/extension.js'), `no extension bundle in ${vsix}:\n${entries.join('\n')}`);
    assert.deepEqual(entries.filter((e) => /(^|\/)test\/|\.test\.|host-tests|hostBridge/.test(e)), []);
    const bundle = execFileSync('unzip', ['-p', vsix, 'extension/dist/extension.js'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    for (const trace of Object.values(hostEnv)) assert.ok(!bundle.includes(trace), `the shipped extension bundle mentions ${trace}`);
  });
});
