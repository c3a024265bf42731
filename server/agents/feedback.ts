// Feedback for the next attempt: when FlowForge stops a job, it writes what
// looped, the evidence and what to try instead to flowforge-feedback.md beside
// the job (or a chosen path), so that an agent restarted by FlowForge (or by a
// person) can read why its last attempt was stopped. A restarted attempt is
// told where it is (FLOWFORGE_FEEDBACK_FILE) and, when asked for, gets it on
// stdin, as the original FlowForge's --inject-feedback did.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Verdict } from '../policy/types';
import type { Run } from '../shared/protocol/domain';
import { redact } from '../shared/redact';

export const FEEDBACK_FILE = 'flowforge-feedback.md';
export const FEEDBACK_ENV = 'FLOWFORGE_FEEDBACK_FILE';

/** Where a job's feedback goes: undefined → beside the job, null → nowhere. */
export function feedbackPath(cwd: string, setting: string | null | undefined): string | null {
  if (setting === null) return null;
  if (setting === undefined) return join(cwd, FEEDBACK_FILE);
  return isAbsolute(setting) ? setting : join(cwd, setting);
}

const SUGGESTIONS: Record<string, string[]> = {
  tool_loop: [
    'Do not run the same call again expecting a different result: read its last output and error closely first.',
    'Check your assumptions: file paths, versions, the command line itself, the working directory.',
    'If a fix did not change the error, the cause is elsewhere: find the line the error points to.',
    'If you are stuck, stop and say what you tried and what you need, instead of retrying.',
  ],
  default: [
    'Look at the repeated output above: it is what the job was doing when it was stopped.',
    'Add a limit to retries and loops (a counter, a timeout, a back-off).',
    'Make progress visible (print what changed), so that repetition means no progress.',
  ],
};

export function feedbackText(run: Run, verdict: Verdict, restarting: boolean): string {
  const rule = verdict.findings[0]?.rule ?? verdict.rules.find((r) => r.fired)?.id ?? 'default';
  const tips = SUGGESTIONS[rule] ?? SUGGESTIONS.default!;
  const lines = [
    '# FlowForge feedback',
    '',
    `FlowForge ${restarting ? 'stopped and is restarting' : 'stopped'} \`${redact(run.command)}\` (attempt ${run.attempt}) at ${new Date().toISOString()}.`,
    '',
    '## What looped',
    '',
    ...verdict.findings.map((f) => `- **${f.title}**: ${f.text}`),
    ...(verdict.findings.length ? [] : [`- ${verdict.reason}`]),
    '',
  ];
  if (verdict.templates.length) lines.push('## What repeated', '', ...verdict.templates.map((t) => `    ${t}`), '');
  if (verdict.evidence.length) lines.push('## Evidence (last calls or lines)', '', ...verdict.evidence.map((e) => `    ${e}`), '');
  lines.push('## What to try instead', '', ...tips.map((t) => `- ${t}`), '');
  lines.push('If you are an AI agent reading this: your previous attempt was stopped for repeating itself. Do not repeat the steps above; take a different approach.', '');
  // Templates and evidence in a verdict are redacted already; the rest is redacted line by line.
  return lines.map((l) => redact(l)).join('\n');
}

/** Writes the file whole (temp + rename), so a reader never sees half of it. Returns the path, or null on failure. */
export function writeFeedback(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function readFeedback(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
