// The output a job printed before its terminal's live stream was connected.
// POST /v1/runs starts the job at once, so a fast job can print (or even end)
// before GET /v1/stream?output=1 is listening. The terminal then reads the
// run's recent output (GET /v1/runs/{id}/output, taken after the stream was
// open) and shows the part the live stream does not repeat: the snapshot's
// lines up to where the first live lines begin. The live stream may have
// started in the middle of a line; the snapshot's last line may be partial.
import { displayLine } from '../../server/shared/displayLine';

export interface OutputSnapshot {
  lines: string[];
  /** Older output was dropped from the backend's bounded buffer. */
  truncated: boolean;
}

function overlapAt(snapshot: string[], live: string[], k: number): boolean {
  const n = snapshot.length;
  for (let j = 0; j < k; j++) {
    const s = snapshot[n - k + j]!;
    const l = live[j]!;
    if (j === 0 && s.endsWith(l)) continue; // the live stream may begin mid-line
    if (j === k - 1 && l.startsWith(s)) continue; // the snapshot may end mid-line
    if (s !== l) return false;
  }
  return true;
}

/**
 * The text to write before the live output `live` (everything the live
 * stream delivered so far), so that nothing is shown twice or left out.
 */
export function catchUpText(snapshot: OutputSnapshot, live: string): string {
  const lines = snapshot.lines;
  if (lines.length === 0) return '';
  const note = snapshot.truncated ? '\x1b[2m[FlowForge: earlier output of this job is not shown]\x1b[0m\n' : '';
  const liveLines = live ? live.split('\n').map(displayLine) : [];
  if (live.endsWith('\n')) liveLines.pop();
  for (let k = Math.min(lines.length, liveLines.length); k >= 1; k--) {
    if (!overlapAt(lines, liveLines, k)) continue;
    const first = lines[lines.length - k]!;
    const head = lines.slice(0, lines.length - k);
    // Live began inside this line: show the part of it that came before.
    const partial = first !== liveLines[0] && first.endsWith(liveLines[0]!) ? first.slice(0, first.length - liveLines[0]!.length) : '';
    return note + head.map((l) => `${l}\n`).join('') + partial;
  }
  return note + lines.map((l) => `${l}\n`).join('');
}
