// The short, plain explanation `flowforge run` prints (and the extension shows
// in its banner) when FlowForge steps in, e.g.
//   FlowForge stopped this job: CPU loop — 98% CPU for 9 s while repeating one line (no new output, no progress).
//     repeated: "[<N>] Processing item <N> at <HEX> with value <N>"
// Templates and evidence in a verdict are already redacted by the policy.
import type { SignalSnapshot } from '../detect/types';
import type { Verdict } from './types';

const MAX_SHOWN = 160;

function clip(s: string): string {
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN - 1)}…` : s;
}

/** Said after the headline when a stop was held back, and why. */
const HELD_BY_NOTE: Record<NonNullable<Verdict['heldBy']> | 'none', string> = {
  none: '',
  shadow: ' (shadow mode, nothing was stopped)',
  canary: ' (canary: not enforced for this run)',
  protection: ' (protection is off for this workspace, nothing was stopped)',
};

function headline(v: Verdict): string {
  if (!v.enforced) return v.intended === 'restart' ? 'FlowForge would have restarted this job' : 'FlowForge would have stopped this job';
  switch (v.action) {
    case 'kill':
      return 'FlowForge stopped this job';
    case 'restart':
      return 'FlowForge is restarting this job';
    case 'alert':
      return 'FlowForge alert';
    case 'nudge':
      return 'FlowForge nudged the agent';
    case 'block':
      return "FlowForge refused the agent's repeating call";
    default:
      return v.episode?.phase === 'close' ? 'FlowForge: the job looks healthy again' : 'FlowForge';
  }
}

export function explainVerdict(v: Verdict, snap: SignalSnapshot): string[] {
  const [main, ...others] = v.findings;
  const mode = HELD_BY_NOTE[v.heldBy ?? 'none'];
  const lines = [`${headline(v)}${mode}: ${main ? `${main.title} — ${main.text}.` : v.reason}`];
  const loop = v.rules.some((r) => r.fired && (r.id === 'cpu_loop' || r.id === 'output_loop'));
  if (loop) {
    const n = Math.min(snap.output.cycleLength ?? 1, v.templates.length);
    for (const t of v.templates.slice(0, Math.max(1, n))) lines.push(`  repeated: "${clip(t)}"`);
    if (snap.output.progressKnown) lines.push(`  progress: ${snap.output.progressDetail}`);
  }
  const example = v.evidence[0];
  if (example && (loop || v.intended !== 'continue')) lines.push(`  e.g.: ${clip(example)}`);
  for (const o of others) lines.push(`  also: ${o.title} — ${o.text}`);
  lines.push(`  confidence ${v.confidence.toFixed(2)}; peak CPU ${Math.round(snap.cpu.peakPercent)}%, peak memory ${Math.round(snap.memory.peakMb)} MB`);
  return lines;
}
