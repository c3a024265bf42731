// Mocha's spec reporter, plus a line for every retried test. The integration
// tier runs real processes on shared 2-core machines and allows one retry;
// a test that passes on its second try is still a flake worth knowing about,
// so the first failure is printed in full instead of disappearing.
'use strict';
const Mocha = require('mocha');

const { Spec } = Mocha.reporters;
const { EVENT_TEST_RETRY, EVENT_RUN_END } = Mocha.Runner.constants;

class SpecReporterWithRetries extends Spec {
  constructor(runner, options) {
    super(runner, options);
    const retried = [];
    runner.on(EVENT_TEST_RETRY, (test, err) => {
      retried.push(test.fullTitle());
      const first = String((err && err.stack) || err).split('\n').slice(0, 12).join('\n      ');
      process.stdout.write(`    ↻ failed, retrying (${test.currentRetry() + 1} of ${test.retries()}): ${test.title}\n      ${first}\n`);
    });
    runner.once(EVENT_RUN_END, () => {
      if (retried.length === 0) return;
      process.stdout.write(`\n  ${retried.length} test(s) needed a retry (flaky here: worth a look):\n`);
      for (const title of retried) process.stdout.write(`    ↻ ${title}\n`);
    });
  }
}

module.exports = SpecReporterWithRetries;
