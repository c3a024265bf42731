// A job spec for benchmarks and tests that start a plain command under the
// engine: no workspace, no owner, no shell, the agent profile unless told.
import type { JobSpec } from '../engine/jobSpec';
import { resolveSettings } from '../policy/resolveSettings';

export function plainJobSpec(name: string, command: string, args: string[], extra: Partial<JobSpec> = {}): JobSpec {
  return {
    name,
    command,
    args,
    shell: false,
    cwd: process.cwd(),
    source: 'cli',
    workspaceId: null,
    owner: null,
    restartable: false,
    settings: resolveSettings({ profile: 'agent' }),
    stdin: 'ignore',
    ...extra,
  };
}
