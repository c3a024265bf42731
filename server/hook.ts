// Entry of dist/hook.js: `flowforge hook` on its own, without the rest of the
// CLI, because agents run it on every tool call and start-up time is its cost.
import { hookCommand } from './agents/hookClient';

hookCommand(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err) => {
    // Never block the agent: a crash here still answers "allow".
    process.stderr.write(`flowforge hook: ${(err as Error).message}; allowing\n`);
    process.stdout.write('{}\n');
    process.exitCode = 0;
  },
);
