// One redaction for everything FlowForge stores or shows: commands, argv,
// evidence lines, templates, reasons, audit details, log lines, live output.
// Secrets become `[REDACTED]`, keeping a recognisable prefix where it helps a
// reader (`Bearer [REDACTED]`, `ghp_[REDACTED]`, `password=[REDACTED]`).
//
// False positives cost evidence, false negatives leak secrets, so the rules
// go from specific (known token formats, named pairs, command-line shapes) to
// generic (long random-looking strings), and values are judged by what names
// them (`auth=ok`, `sort --key 2`, `PWD=/home/dev` stay). Digests, UUIDs and
// trace ids stay readable. Redaction is idempotent (redact(redact(x)) ===
// redact(x)) and linear in the length of its input: a line longer than
// LINE_CAP is cut first, with a marker, and every rule is built so that it
// cannot backtrack (see redactScan.ts).
import { redactArgvEntries, redactCommandText } from './redactCommand';
import { secretNameStrength, valueIsSecret } from './redactNames';
import { TEXT_RULES } from './redactRules';
import { applyRule, REDACTED } from './redactScan';

export { REDACTED };

/** Characters of one line kept for redaction and display; the rest is cut with a marker. */
export const LINE_CAP = 8 * 1024;
/** How far back a cut may move to avoid splitting a token (a split secret could slip past the rules). */
const CUT_BACKOFF = 512;
const TOKEN_LIKE = /[A-Za-z0-9+/=_.~%-]/;

export const cutMarker = (n: number): string => ` [… ${n} characters cut]`;

/** Cuts every line longer than LINE_CAP, at the start of the token the cap falls in when it is near. */
export function capLines(text: string): string {
  if (text.length <= LINE_CAP) return text;
  let out = '';
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end - start > LINE_CAP) {
      let cut = start + LINE_CAP;
      const floor = cut - CUT_BACKOFF;
      while (cut > floor && TOKEN_LIKE.test(text[cut - 1]!) && TOKEN_LIKE.test(text[cut]!)) cut--;
      if (cut === floor) cut = start + LINE_CAP;
      out += text.slice(start, cut) + cutMarker(end - cut);
    } else out += text.slice(start, end);
    if (end < text.length) out += '\n';
    start = end + 1;
  }
  return out;
}

/** Cheap pre-check: text with none of these holds nothing the rules would find. */
const MAYBE_SECRET = /[=:@~]|[A-Za-z0-9+/_-]{12,}|bearer|token|secret|pass|key|auth|cred|cookie|pwd|-----BEGIN|\s-[A-Za-z]/i;

/** Redacts free text: a log line, a command line, a reason, a chunk of output. */
export function redact(text: string): string {
  return redactUncapped(capLines(text));
}

/** The rules without the line cap: what the benchmark measures to show they are linear on their own. */
export function redactUncapped(text: string): string {
  if (!text || !MAYBE_SECRET.test(text)) return text;
  let out = text;
  for (let i = 0; i < TEXT_RULES.length; i++) {
    out = applyRule(out, TEXT_RULES[i]!);
    // Command shapes run once the fixed formats and URLs are done, before name=value pairs.
    if (TEXT_RULES[i]!.what === 'credentials in URLs') out = redactCommandText(out);
  }
  return out;
}

/**
 * Redacts an argument vector entry by entry, plus what only the neighbouring
 * entries tell (`--token VALUE`, `mysql -pSECRET`, `sshpass -p SECRET`,
 * `curl -u user:SECRET`, `docker login -p SECRET`, ...).
 */
export function redactArgv(argv: readonly string[]): string[] {
  return redactArgvEntries(argv, redact);
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Whether an object key names a secret so its whole value goes (`{password: 'x'}`, `{GITHUB_TOKEN: ...}`). */
function secretUnderKey(key: string, value: unknown): boolean {
  const strength = secretNameStrength(key);
  if (!strength) return false;
  if (typeof value === 'number') return strength === 'strong';
  return typeof value === 'string' && value !== '' && valueIsSecret(strength, value);
}

/** Redacts every string inside a JSON-like value; values under secret-named keys are replaced whole. */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map(redactDeep) as T;
  if (value === null || typeof value !== 'object' || !isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = secretUnderKey(k, v) ? REDACTED : redactDeep(v);
  return out as T;
}

/**
 * Redacts a record for storage or export. Identifiers (`id`, `*_id`) and the listed
 * path fields are kept exact: they are looked up by value and are not secrets.
 */
export function redactRecord<T extends object>(record: T, exact: readonly string[] = []): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    out[k] = k === 'id' || k.endsWith('_id') || exact.includes(k) ? v : redactDeep(v);
  }
  return out as T;
}

/**
 * Redaction with a time budget, for one flush of live output: once the budget
 * is spent, the rest of the flush is withheld (with a marker saying how much)
 * rather than shown unredacted or allowed to stall the event loop, which also
 * runs sampling and kills.
 */
export class RedactionBudget {
  private spentMs = 0;
  private withheld = 0;

  constructor(
    private readonly budgetMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  redact(text: string): string | null {
    if (this.spentMs >= this.budgetMs) {
      this.withheld += text.length;
      return null;
    }
    const t0 = this.now();
    const out = redact(text);
    this.spentMs += this.now() - t0;
    return out;
  }

  /** Characters withheld so far (0 when the budget held). */
  get withheldChars(): number {
    return this.withheld;
  }
}
