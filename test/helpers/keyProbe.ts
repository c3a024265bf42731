// The hostile-job probe (test/fixtures/keyProbe.js) and what it reports, shared
// by the suites that run it under each way FlowForge starts a job.
import { join } from 'node:path';
import { FIXTURES } from './processes';

/** node keyProbe.js <findings.json> <folder>... */
export const KEY_PROBE = join(FIXTURES, 'keyProbe.js');

export interface KeyProbeFindings {
  /** Ancestors whose environment the probe could read. */
  ancestors: number[];
  files: number;
  candidates: number;
  /** APIs found in discovery files. */
  urls: string[];
  /** Candidates an admin or submit route did not refuse. */
  opened: { what: string; status: number; candidate: string }[];
}
