// The tool-call loop signal: what an agent's hooks report about its tool
// calls (tool name, a hash of the input, the outcome and the error template)
// tells loops apart from work better than its output does. Four shapes:
//   repeat       the same call N times in a row, with the same result each time
//   alternation  A-B-A-B... (two calls taking turns, results unchanged)
//   failing_fix  the same command failing with the same error after each "fix" in between
//   no_new      a long stretch of calls where nothing new happens (no new call, no new outcome)
// Pure: it sees only the events it is fed; time comes with them.

export interface ToolCallIn {
  key: string;
  tool: string;
  /** One line describing the call, for evidence. */
  preview: string;
  t: number;
}

export interface ToolResultIn {
  key: string;
  outcome: 'ok' | 'error';
  errorTemplate: string | null;
  resultKey: string | null;
}

export type ToolLoopKind = 'repeat' | 'alternation' | 'failing_fix' | 'no_new';

export interface ToolLoopReading {
  kind: ToolLoopKind;
  /** How many calls the loop has taken so far. */
  calls: number;
  /** The calls that repeat (what a block refuses), by input key. */
  keys: string[];
  /** The repeating calls in a person's words. */
  what: string[];
  /** The repeated error (failing_fix), as a template. */
  error: string | null;
  /** When the loop's first call came, ms. */
  since: number;
  /** The last few calls with their outcomes, oldest first. */
  evidence: string[];
  /** One sentence: what repeats, how often, for how long. */
  text: string;
}

interface Call extends ToolCallIn {
  outcome: 'ok' | 'error' | null;
  errorTemplate: string | null;
  resultKey: string | null;
}

export interface ToolLoopThresholds {
  /** Calls in a row (repeat), or failures of one command (failing_fix: one fewer), that make a loop. */
  toolLoopCalls: number;
}

const HISTORY = 64;
const EVIDENCE = 6;
/** no_new: at most this many different calls, each seen before, over a stretch of 3 × toolLoopCalls. */
const NO_NEW_DISTINCT = 3;

export class ToolCallSignal {
  private readonly calls: Call[] = [];

  constructor(private readonly th: ToolLoopThresholds) {}

  call(c: ToolCallIn): void {
    this.calls.push({ ...c, outcome: null, errorTemplate: null, resultKey: null });
    if (this.calls.length > HISTORY) this.calls.shift();
  }

  /** The result of the latest call with this key (post hooks come after their pre hook). */
  result(r: ToolResultIn): void {
    for (let i = this.calls.length - 1; i >= 0; i--) {
      const c = this.calls[i]!;
      if (c.key !== r.key || c.outcome !== null) continue;
      c.outcome = r.outcome;
      c.errorTemplate = r.errorTemplate;
      c.resultKey = r.resultKey;
      return;
    }
  }

  get count(): number {
    return this.calls.length;
  }

  /** The strongest loop in the recent calls, or null when they look like work. */
  reading(): ToolLoopReading | null {
    const n = this.th.toolLoopCalls;
    // The specific shapes first (they say what to do instead); no_new only when none of them fits.
    const found = [this.repeat(n), this.alternation(n), this.failingFix(n)].filter((r): r is ToolLoopReading => r !== null);
    return found.sort((a, b) => b.calls - a.calls)[0] ?? this.noNew(n);
  }

  private make(kind: ToolLoopKind, stretch: Call[], keys: string[], error: string | null, text: string): ToolLoopReading {
    const what = keys.map((k) => stretch.find((c) => c.key === k)!.preview);
    const evidence = stretch.slice(-EVIDENCE).map((c) => `${c.preview} → ${c.outcome === null ? 'pending' : c.outcome === 'ok' ? 'ok' : `error: ${c.errorTemplate ?? ''}`}`);
    const secs = Math.round((stretch[stretch.length - 1]!.t - stretch[0]!.t) / 1000);
    return { kind, calls: stretch.length, keys, what, error, since: stretch[0]!.t, evidence, text: `${text} (${stretch.length} calls in ${secs} s)` };
  }

  /** The same call, same result each time it had one, N times in a row. */
  private repeat(n: number): ToolLoopReading | null {
    const last = this.calls[this.calls.length - 1];
    if (!last) return null;
    let i = this.calls.length - 1;
    const results = new Set<string>();
    while (i >= 0 && this.calls[i]!.key === last.key) {
      const r = this.calls[i]!.resultKey;
      if (r !== null) results.add(r);
      i--;
    }
    const stretch = this.calls.slice(i + 1);
    // Different results from the same call are a poll that sees change: not a loop.
    if (stretch.length < n || results.size > 1) return null;
    return this.make('repeat', stretch, [last.key], null, `the same call ${stretch.length} times in a row: ${last.preview}`);
  }

  /** Two calls taking turns, A-B-A-B..., at least N calls of each. */
  private alternation(n: number): ToolLoopReading | null {
    const len = this.calls.length;
    if (len < 4) return null;
    const a = this.calls[len - 1]!.key;
    const b = this.calls[len - 2]!.key;
    if (a === b) return null;
    let i = len - 1;
    while (i >= 0 && this.calls[i]!.key === ((len - 1 - i) % 2 === 0 ? a : b)) i--;
    const stretch = this.calls.slice(i + 1);
    if (stretch.length < 2 * n - 2 || new Set(stretch.map((c) => c.resultKey).filter((r) => r !== null)).size > 2) return null;
    return this.make('alternation', stretch, [b, a], null, `two calls taking turns: ${stretch[stretch.length - 2]!.preview} / ${stretch[stretch.length - 1]!.preview}`);
  }

  /** One command failing with the same error again and again, other calls ("fixes") in between. */
  private failingFix(n: number): ToolLoopReading | null {
    const failed = [...this.calls].reverse().find((c) => c.outcome === 'error');
    if (!failed) return null;
    const runs = this.calls.filter((c) => c.key === failed.key && c.outcome !== null);
    let k = runs.length - 1;
    while (k >= 0 && runs[k]!.outcome === 'error' && runs[k]!.errorTemplate === failed.errorTemplate) k--;
    const failures = runs.length - 1 - k;
    if (failures < n - 1) return null;
    const at = runs.slice(k + 1).map((c) => this.calls.indexOf(c));
    const gaps = at.slice(1).map((p, i) => p - at[i]! - 1);
    const maxGap = Math.max(...gaps);
    const trailing = this.calls.length - 1 - at[at.length - 1]!;
    // Failures back to back are a plain repeat (not "after a fix"); a longer pause than any
    // fix took means the agent has moved on.
    if (maxGap < 1 || trailing > maxGap) return null;
    const stretch = this.calls.slice(at[0]!);
    return this.make('failing_fix', stretch, [failed.key], failed.errorTemplate, `the same command failed ${failures} times with the same error after each change in between: ${failed.preview}`);
  }

  /** A long stretch of calls that brings nothing new: few different calls, every one seen before. */
  private noNew(n: number): ToolLoopReading | null {
    const span = 3 * n;
    if (this.calls.length < span + n) return null;
    const sig = (c: Call) => `${c.key}|${c.outcome ?? ''}|${c.errorTemplate ?? ''}|${c.resultKey ?? ''}`;
    let start = this.calls.length - span;
    const window = this.calls.slice(start).map(sig);
    const distinct = new Set(window);
    const before = new Set(this.calls.slice(0, start).map(sig));
    if (distinct.size > NO_NEW_DISTINCT || [...distinct].some((s) => !before.has(s))) return null;
    // Grow the stretch back while it keeps within the same few calls.
    while (start > 0 && distinct.has(sig(this.calls[start - 1]!))) start--;
    const stretch = this.calls.slice(start);
    const keys = [...new Set(stretch.map((c) => c.key))];
    return this.make('no_new', stretch, keys, null, `${stretch.length} calls among the same ${keys.length} without a new call or outcome`);
  }
}
