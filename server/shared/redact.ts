// One redaction for everything FlowForge stores or shows: commands, argv,
// evidence lines, templates, reasons, audit details, log lines. Secrets become
// `[REDACTED]`, keeping a recognisable prefix where it helps a reader
// (`Bearer [REDACTED]`, `ghp_[REDACTED]`, `password=[REDACTED]`).
//
// False positives cost readability, false negatives leak secrets, so the
// rules go from specific (known token formats, named pairs, secret flags) to
// generic (long random-looking strings). Ordinary words, paths, UUIDs, numbers
// and 40/64/128-hex digests (git SHAs, sha256 sums) stay readable; a
// digest-length hex value is still redacted when a secret name or an env
// assignment carries it. Redaction is idempotent: redact(redact(x)) === redact(x).

export const REDACTED = '[REDACTED]';

type Replacer = (match: string, ...groups: string[]) => string;
interface Rule {
  re: RegExp;
  replace: Replacer;
}

/** Names whose value is a secret (`api_key`, `client-secret`, `password`, ...). */
const SECRET_WORDS = [
  'api[_-]?key', 'apikey', 'access[_-]?key', 'secret[_-]?key', 'private[_-]?key', 'signing[_-]?key',
  'encryption[_-]?key', 'master[_-]?key', 'client[_-]?secret', 'auth[_-]?token', 'access[_-]?token',
  'refresh[_-]?token', 'id[_-]?token', 'session[_-]?token', 'token', 'secret', 'password', 'passwd',
  'passphrase', 'credentials?', 'auth', 'key',
];
const SECRET_WORD = `(?:${SECRET_WORDS.join('|')})`;
/** Dotted, dashed or underscored prefixes: `aws_secret_access_key`, `x-api-key`, `db.password`. */
const NAME_PREFIX = '(?:[A-Za-z0-9]+[_.-])*';
const FLAG_PREFIX = '(?:[A-Za-z0-9]+[_-])*';
const NOT_REDACTED = '(?!\\[REDACTED)';
/** A value: quoted, or a run up to whitespace or a delimiter. */
const VALUE = `(?:"[^"\\n]*"|'[^'\\n]*'|[^\\s"'\`,;&)}\\]]+)`;

const AUTH_SCHEME = '(?:bearer|basic|digest|token|negotiate|apikey)';

const withPrefix: Replacer = (_m, prefix) => `${prefix}${REDACTED}`;

/** Keeps the quotes around a redacted value, so JSON and shell text stay well-formed. */
function redactValue(value: string): string {
  const q = value[0];
  return (q === '"' || q === "'") && value.length > 1 && value.endsWith(q) ? `${q}${REDACTED}${q}` : REDACTED;
}

/** Enough randomness that a word after `Bearer` or in a URL's user slot is a credential, not prose. */
function looksLikeToken(s: string): boolean {
  if (s.length >= 24) return true;
  if (s.length < 8) return false;
  return /\d/.test(s) || /[-._~+/=]/.test(s) || (/[A-Z]/.test(s.slice(1)) && /[a-z]/.test(s));
}

function shannonBits(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Share of neighbouring characters that change class (lower/upper/digit/other): words and names change rarely. */
function classSwitchRatio(s: string): number {
  const cls = (c: string) => (c >= 'a' && c <= 'z' ? 0 : c >= 'A' && c <= 'Z' ? 1 : c >= '0' && c <= '9' ? 2 : 3);
  let switches = 0;
  for (let i = 1; i < s.length; i++) if (cls(s[i]!) !== cls(s[i - 1]!)) switches++;
  return switches / Math.max(1, s.length - 1);
}

const HEX_ONLY = /^[0-9a-fA-F]+$/;
const UUID = /^[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$/;
/** SHA-1 (git), SHA-256 and SHA-512 digests. */
const DIGEST_HEX_LENGTHS = new Set([40, 64, 128]);
const isDigest = (s: string) => DIGEST_HEX_LENGTHS.has(s.length) && HEX_ONLY.test(s);
/** Text right before a value that says it is a digest (`sha256:`, `commit `, `integrity=`). */
const DIGEST_LABEL = /(?:sha1|sha256|sha384|sha512|md5|blake2b?|digest|integrity|checksum|commit|tree|parent|object)[\s:=-]*["']?$/i;
/** Subresource-integrity style digests: `sha512-<base64>`. */
const DIGEST_PREFIX = /^(?:sha(?:1|256|384|512)|md5)-/i;

/** Share of a string made of word-like chunks (`Very`, `long`, `HTTP`): names are mostly words, random strings are not. */
function wordCoverage(s: string): number {
  let covered = 0;
  for (const m of s.matchAll(/[A-Z]?[a-z]{3,}|[A-Z]{4,}(?![a-z])/g)) covered += m[0].length;
  return covered / s.length;
}

/** A long hex run that is not a digest, or a long run that looks random rather than like a name. */
function isRandomBlob(token: string): boolean {
  const body = token.replace(/=+$/, '');
  if (body.length < 32 || /^\d+$/.test(body)) return false;
  if (HEX_ONLY.test(body)) return !DIGEST_HEX_LENGTHS.has(body.length);
  if (!/\d/.test(body) || !/[A-Za-z]/.test(body)) return false;
  const compact = body.replace(/[/_+-]/g, '');
  return shannonBits(compact) >= 3.5 && classSwitchRatio(compact) >= 0.3 && wordCoverage(compact) < 0.65;
}

/** A part of a path or name that is a plain word (`home`, `Widget`). */
const PLAIN_WORD = /^[A-Za-z][a-z]{2,}$/;

/**
 * A run of token characters that hides a secret: a random part, or random as a
 * whole. Names carrying a digest are not; nor are hex folder names inside a
 * path (`workspaceStorage/<md5>/`), which are hashes, not keys.
 */
function isSecretRun(token: string): boolean {
  const run = token.replace(/=+$/, '');
  if (UUID.test(run) || DIGEST_PREFIX.test(run)) return false;
  const parts = run.split(/[/_+-]/);
  if (parts.length === 1) return isRandomBlob(run);
  const pathLike = run.includes('/') && parts.some((p) => PLAIN_WORD.test(p));
  if (parts.some((p) => isRandomBlob(p) && !(pathLike && HEX_ONLY.test(p)))) return true;
  return !pathLike && !parts.some(isDigest) && isRandomBlob(run);
}

/** Env names whose long hex value is a commit or a checksum, not a key. */
const DIGEST_ENV_NAME = /(?:SHA|COMMIT|HASH|DIGEST|REV|REVISION|CHECKSUM|UUID|_ID)$/;

/** A bare value in an env assignment: any long hex (digest lengths too) or a random-looking string. */
function isSecretEnvValue(value: string): boolean {
  const body = value.replace(/=+$/, '');
  return (body.length >= 32 && HEX_ONLY.test(body) && !/^\d+$/.test(body)) || isSecretRun(value);
}

const RULES: Rule[] = [
  // Private key blocks, also when the END line was cut off.
  {
    re: /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----(?!\[REDACTED\])[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)/g,
    replace: (_m, kind = '', block = '') =>
      `-----BEGIN ${kind}PRIVATE KEY${block}-----${REDACTED}-----END ${kind}PRIVATE KEY${block}-----`,
  },
  // Authorization headers, with or without a scheme; cookies.
  {
    re: new RegExp(
      `\\b((?:proxy-)?authorization)(["']?\\s*[:=]\\s*["']?)(?!(?:${AUTH_SCHEME}\\s+)?\\[REDACTED)(?:(${AUTH_SCHEME})\\s+)?([^\\s"',;]+)`,
      'gi',
    ),
    replace: (_m, name, sep, scheme) => `${name}${sep}${scheme ? `${scheme} ` : ''}${REDACTED}`,
  },
  { re: /\b((?:set-)?cookie\s*:\s*)(?!\s*\[REDACTED)[^\n]+/gi, replace: withPrefix },
  {
    re: /\b(bearer)\s+([A-Za-z0-9\-._~+/]+=*)/gi,
    replace: (m, word, tok) => (looksLikeToken(tok) ? `${word} ${REDACTED}` : m),
  },
  // Known token formats.
  { re: /\b(sk-ant-)[A-Za-z0-9_-]{12,}/g, replace: withPrefix },
  { re: /\b(sk-)(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}/g, replace: withPrefix },
  { re: /\b((?:sk|rk)_(?:live|test)_)[A-Za-z0-9]{10,}/g, replace: withPrefix },
  { re: /\b(gh[pousr]_)[A-Za-z0-9]{20,}/g, replace: withPrefix },
  { re: /\b(github_pat_)[A-Za-z0-9_]{20,}/g, replace: withPrefix },
  { re: /\b(glpat-)[A-Za-z0-9_-]{20,}/g, replace: withPrefix },
  { re: /\b(npm_)[A-Za-z0-9]{36}\b/g, replace: withPrefix },
  { re: /\b(xox[abposre]-)[A-Za-z0-9-]{10,}/g, replace: withPrefix },
  { re: /(hooks\.slack\.com\/(?:services|workflows)\/)[A-Za-z0-9/_-]+/g, replace: withPrefix },
  { re: /\b(AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}\b/g, replace: withPrefix },
  { re: /\b(AIza)[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g, replace: withPrefix },
  { re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, replace: () => '[REDACTED_JWT]' },
  // Credentials in URLs: keep the user, hide the password; hide a token used as the user.
  {
    re: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/?#]*):(?!\[REDACTED\]@)([^\s@/?#]+)@/gi,
    replace: (_m, scheme, user) => `${scheme}${user}:${REDACTED}@`,
  },
  {
    re: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/?#[\]]{16,})@/gi,
    replace: (m, scheme, user) => (looksLikeToken(user) ? `${scheme}${REDACTED}@` : m),
  },
  // Tool-specific password arguments where the flag alone would be ambiguous (`-p` is a port for ssh).
  // Each stops at an already redacted occurrence, so a second pass cannot reach further along the line.
  {
    re: /\b((?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)\b(?:(?!\s-p\[REDACTED)[^\n;|&])*?\s-p)(?!\s|\[REDACTED)\S+/g,
    replace: withPrefix,
  },
  { re: /\b(sshpass(?:\s+-(?!p)\S+)*\s+-p\s*)(?!\[REDACTED)\S+/g, replace: withPrefix },
  {
    re: /\b(curl\b(?:(?!:\[REDACTED)[^\n;|&])*?\s(?:-u|--user)[\s=]*["']?[^\s:"']+:)(?!\[REDACTED)[^\s"']+/g,
    replace: withPrefix,
  },
  // name=value and name: value pairs (any case; quoted names and values as in JSON, YAML, query strings).
  {
    re: new RegExp(`(?<![A-Za-z0-9])(${NAME_PREFIX}${SECRET_WORD})(["']?)(\\s*[:=]\\s*)${NOT_REDACTED}(${VALUE})`, 'gi'),
    replace: (_m, name, q, sep, value) => `${name}${q}${sep}${redactValue(value)}`,
  },
  // Upper-case env names glued to the secret word: PGPASSWORD=, GITHUBTOKEN=, MY_APIKEY=.
  {
    re: new RegExp(`\\b([A-Z][A-Z0-9_]*(?:PASSWORD|PASSWD|TOKEN|SECRET|APIKEY|_PASS|_PWD|_AUTH))=${NOT_REDACTED}(${VALUE})`, 'g'),
    replace: (_m, name, value) => `${name}=${redactValue(value)}`,
  },
  // Secret flags followed by their value as the next word: --token abc, -password "x y".
  {
    re: new RegExp(`(?<![\\w-])(--?(?!no-)${FLAG_PREFIX}${SECRET_WORD})(\\s+)(?!-)${NOT_REDACTED}(${VALUE})`, 'gi'),
    replace: (_m, flag, space, value) => `${flag}${space}${redactValue(value)}`,
  },
  // A long hex or random-looking value assigned to any env-style name (digest-named ones excepted).
  {
    re: /\b([A-Z][A-Z0-9_]*)=(["']?)([A-Za-z0-9+/_-]{32,}={0,2})\2(?![A-Za-z0-9+/_=-])/g,
    replace: (m, name, q, value) =>
      !DIGEST_ENV_NAME.test(name) && isSecretEnvValue(value) ? `${name}=${q}${REDACTED}${q}` : m,
  },
  // Long random-looking strings anywhere: hex keys and base64 secrets.
  {
    re: /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{32,}(?:={1,2}(?![A-Za-z0-9+/_=-])|(?![A-Za-z0-9+/_-]))/g,
    replace: (m: string, ...rest: unknown[]) => {
      const offset = rest[rest.length - 2] as number;
      const text = rest[rest.length - 1] as string;
      if (DIGEST_LABEL.test(text.slice(Math.max(0, offset - 16), offset))) return m;
      return isSecretRun(m) ? REDACTED : m;
    },
  },
];

/** Cheap pre-check: text with none of these holds nothing the rules above would find. */
const MAYBE_SECRET = /[=:@]|[A-Za-z0-9+/_-]{12,}|bearer|token|secret|pass|key|auth|cred|-----BEGIN|-p/i;

export function redact(text: string): string {
  if (!text || !MAYBE_SECRET.test(text)) return text;
  let out = text;
  for (const rule of RULES) out = out.replace(rule.re, rule.replace as Replacer);
  return out;
}

/** Flags whose next argv entry is the secret (`--token VALUE`). */
const SECRET_FLAG = new RegExp(`^--?(?!no-)${FLAG_PREFIX}${SECRET_WORD}$`, 'i');
/** Programs where an attached `-pVALUE` is a password (a bare `-p` makes mysql prompt, so the next word is not one). */
const ATTACHED_P_PASSWORD = new Set(['mysql', 'mysqldump', 'mysqladmin', 'mariadb', 'mariadb-dump', 'sshpass']);

function programName(arg0: string | undefined): string {
  return (arg0 ?? '').split(/[\\/]/).pop()!.replace(/\.exe$/i, '').toLowerCase();
}

/** Whether argv[i] announces that argv[i + 1] is a secret. */
function valueIsSecret(program: string, arg: string, next: string | undefined): boolean {
  if (next === undefined) return false;
  if (SECRET_FLAG.test(arg)) return !next.startsWith('-');
  if (program === 'sshpass' && arg === '-p') return true;
  return program === 'curl' && (arg === '-u' || arg === '--user') && next.includes(':');
}

/**
 * Redacts an argument vector entry by entry, plus the values of secret flags
 * given as the next entry (`--token VALUE`), attached `-pSECRET` for mysql-like
 * programs, `sshpass -p SECRET` and the password of `curl -u user:pass`.
 */
export function redactArgv(argv: readonly string[]): string[] {
  const program = programName(argv[0]);
  const out = argv.map(redact);
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (valueIsSecret(program, arg, next)) {
      out[i + 1] = program === 'curl' && !SECRET_FLAG.test(arg) ? `${next!.slice(0, next!.indexOf(':'))}:${REDACTED}` : REDACTED;
      i++;
    } else if (ATTACHED_P_PASSWORD.has(program) && /^-p./.test(arg)) {
      out[i] = `-p${REDACTED}`;
    }
  }
  return out;
}

/** Object keys whose value is a secret whatever it looks like (`{password: 'hunter2'}`, `{GITHUB_TOKEN: ...}`). */
const SECRET_KEY = new RegExp(
  `^(?:${NAME_PREFIX}(?:${SECRET_WORDS.filter((w) => w !== 'key').join('|')}|cookie|set-cookie|authorization)` +
    '|[A-Z][A-Z0-9_]*(?:PASSWORD|TOKEN|SECRET|APIKEY|_KEY))$',
  'i',
);

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Redacts every string inside a JSON-like value; values under secret-named keys are replaced whole. */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map(redactDeep) as T;
  if (value === null || typeof value !== 'object' || !isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const secret = SECRET_KEY.test(k) && ((typeof v === 'string' && v !== '') || typeof v === 'number');
    out[k] = secret ? REDACTED : redactDeep(v);
  }
  return out as T;
}
