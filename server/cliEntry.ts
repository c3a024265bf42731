// The `flowforge` program: runs the command line with this process's
// arguments and exits with its code. Built as an ES module with code
// splitting (scripts/build.mjs): only the chunks a subcommand imports are
// loaded, so `flowforge run` never reads the HTTP stack, the benchmarks or
// the YAML parser unless it uses them.
import { main } from './cli';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Jobs, API and store are closed by now; don't wait on stray handles (a TTY stdin).
    setTimeout(() => process.exit(code), 50).unref();
  },
  (err) => {
    process.stderr.write(`flowforge: ${(err as Error).stack}\n`);
    process.exit(70);
  },
);
