// Tests that drive a program from a Debian package: where the program is
// missing they skip with a message naming the package to install, and in CI
// (which installs it, .ci/run) they fail instead, so a broken install is seen.
import { accessSync, constants } from 'node:fs';

export function requireDebianProgram(ctx: Mocha.Context, path: string, pkg: string): void {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    const why = `${path} not found: install Debian's package "${pkg}" (apt-get install --no-install-recommends ${pkg})`;
    if (process.env.CI) throw new Error(why);
    console.log(`      skipped: ${why}`);
    ctx.skip();
  }
}
