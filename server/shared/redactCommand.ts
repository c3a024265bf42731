// Secrets that only the shape of a command line gives away: `--token X`,
// `mysql -pX`, `docker login -p X`, `redis-cli -a X`, `openssl -passin pass:X`,
// `htpasswd -b file user X`, `curl -u user:X -b 'sid=X'`, `sqlplus user/X@db`.
// The same rules serve an argv array (each entry one token) and a line of text
// (split into shell words, quotes kept together), so a command is redacted the
// same way whether it was stored as argv, shown as a command line or printed
// by a job. One pass over the tokens; each rule looks ahead a few tokens.
import { isPlaceholder, secretNameStrength, valueIsSecret, type Strength } from './redactNames';
import { REDACTED } from './redactScan';

export interface Token {
  /** The token as written (quotes included). */
  raw: string;
  /** Where `raw` starts in the text (0 for argv entries). */
  start: number;
  /** The argv entry it came from (0 for text). */
  entry: number;
}

export interface Edit {
  token: Token;
  /** Offsets inside `raw` of the part to replace. */
  from: number;
  to: number;
  /** The replacement (REDACTED unless a nested command was redacted inside quotes). */
  text?: string;
}

const unquote = (raw: string): string => {
  const q = raw[0];
  return (q === '"' || q === "'") && raw.length > 1 && raw.endsWith(q) ? raw.slice(1, -1) : raw;
};

/** The whole token, or its part after `prefix`, keeping surrounding quotes. */
function secretPart(token: Token, skip = 0): Edit | null {
  const raw = token.raw;
  const quoted = (raw[0] === '"' || raw[0] === "'") && raw.length > 1 && raw.endsWith(raw[0]!);
  const from = (quoted ? 1 : 0) + skip;
  const to = raw.length - (quoted ? 1 : 0);
  if (to <= from || raw.includes('[REDACTED', from)) return null;
  return { token, from, to };
}

const programName = (raw: string): string =>
  unquote(raw).split(/[\\/]/).pop()!.replace(/\.exe$/i, '').toLowerCase();

const MYSQL = ['mysql', 'mysqldump', 'mysqladmin', 'mysqlimport', 'mysqlshow', 'mysqlcheck', 'mysqlpump', 'mariadb', 'mariadb-dump', 'mariadb-admin'];
const MONGO = ['mongo', 'mongosh', 'mongodump', 'mongorestore', 'mongoexport', 'mongoimport', 'mongostat', 'mongotop'];
const REGISTRY_LOGIN = ['docker', 'podman', 'nerdctl', 'buildah', 'skopeo', 'helm', 'oras', 'crane', 'az', 'cf'];
const LDAP = ['ldapsearch', 'ldapadd', 'ldapmodify', 'ldapdelete', 'ldapwhoami', 'ldappasswd', 'ldapcompare', 'ldapmodrdn'];
const SQLPLUS = ['sqlplus', 'sqlldr', 'expdp', 'impdp', 'exp', 'imp', 'rman'];

/** Flags whose next token (or attached rest, for a short flag) is a password, per program. */
interface ProgramFlags {
  programs: string[];
  /** `-a X` and `-aX` */
  flags: string[];
  /** Only after this word (`docker login -p X`, where `docker run -p 80:80` is a port). */
  after?: string;
  /** An attached value needs no space (`mysql -pX`); a bare `-p` there prompts, so the next word is not a password. */
  attachedOnly?: boolean;
  /** The value is always the next word (`openssl enc -kfile F` is another flag, not `-k` + `file`). */
  separateOnly?: boolean;
}

const PROGRAM_FLAGS: ProgramFlags[] = [
  { programs: MYSQL, flags: ['-p'], attachedOnly: true },
  { programs: ['sshpass'], flags: ['-p'] },
  { programs: MONGO, flags: ['-p'] },
  { programs: REGISTRY_LOGIN, flags: ['-p'], after: 'login' },
  { programs: ['redis-cli', 'valkey-cli', 'keydb-cli'], flags: ['-a'] },
  { programs: ['sqlcmd', 'bcp', 'osql', 'isql'], flags: ['-P'] },
  { programs: LDAP, flags: ['-w'] },
  { programs: ['zip', 'unzip', 'zipcloak', 'funzip'], flags: ['-P'] },
  { programs: ['7z', '7za', '7zr'], flags: ['-p'], attachedOnly: true },
  { programs: ['ssh-keygen'], flags: ['-N', '-P'], separateOnly: true },
  { programs: ['openssl'], flags: ['-k', '-K'], separateOnly: true },
  { programs: ['keytool', 'jarsigner'], flags: ['-storepass', '-keypass', '-srcstorepass', '-deststorepass', '-srckeypass', '-destkeypass'] },
  { programs: ['smbclient', 'rpcclient', 'smbmap', 'smbget'], flags: ['--password'] },
];

interface Context {
  program: string;
  /** Words seen since the program (for `after`). */
  words: Set<string>;
}

type Special = (tokens: Token[], i: number, ctx: Context, edits: Edit[]) => number;

/** Program-specific shapes beyond "flag then password"; each returns how many extra tokens it consumed. */
const SPECIAL: Record<string, Special> = {
  curl(tokens, i, _ctx, edits) {
    const arg = unquote(tokens[i]!.raw);
    const next = tokens[i + 1];
    if (!next) return 0;
    const value = unquote(next.raw);
    if (['-u', '--user', '-U', '--proxy-user'].includes(arg) && value.includes(':')) {
      push(edits, secretPart(next, value.indexOf(':') + 1));
      return 1;
    }
    if ((arg === '-b' || arg === '--cookie') && value.includes('=')) {
      push(edits, secretPart(next));
      return 1;
    }
    if (arg === '--oauth2-bearer') {
      push(edits, secretPart(next));
      return 1;
    }
    return 0;
  },
  openssl(tokens, i, _ctx, edits) {
    const arg = unquote(tokens[i]!.raw);
    const next = tokens[i + 1];
    if (!next || !['-passin', '-passout', '-pass', '-password'].includes(arg)) return 0;
    const value = unquote(next.raw);
    if (value.startsWith('pass:')) push(edits, secretPart(next, 5));
    return 1;
  },
  htpasswd(tokens, i, ctx, edits) {
    // `htpasswd -b[c…] file user password`, `htpasswd -nb user password`.
    const arg = unquote(tokens[i]!.raw);
    if (!/^-[A-Za-z]*b[A-Za-z]*$/.test(arg) || ctx.words.has('htpasswd:b')) return 0;
    ctx.words.add('htpasswd:b');
    let positional = arg.includes('n') ? 2 : 3;
    for (let k = i + 1; k < tokens.length; k++) {
      const t = unquote(tokens[k]!.raw);
      if (isSeparator(t)) break;
      if (t.startsWith('-')) {
        if (t.includes('n')) positional = 2;
        continue;
      }
      if (--positional === 0) {
        push(edits, secretPart(tokens[k]!));
        break;
      }
    }
    return 0;
  },
  smbclient(tokens, i, _ctx, edits) {
    const arg = unquote(tokens[i]!.raw);
    const next = tokens[i + 1];
    if (!next || !['-U', '--user'].includes(arg)) return 0;
    const value = unquote(next.raw);
    if (value.includes('%')) push(edits, secretPart(next, value.indexOf('%') + 1));
    return 1;
  },
  aws(tokens, i, ctx, edits) {
    // `aws configure set aws_secret_access_key X`
    const name = tokens[i + 1];
    const value = tokens[i + 2];
    if (unquote(tokens[i]!.raw) !== 'set' || !ctx.words.has('configure') || !name || !value) return 0;
    const strength = secretNameStrength(unquote(name.raw).split('.').pop()!);
    if (strength && valueIsSecret(strength, unquote(value.raw))) push(edits, secretPart(value));
    return 2;
  },
};
SPECIAL.rpcclient = SPECIAL.smbclient!;
SPECIAL.smbmap = SPECIAL.smbclient!;
for (const p of SQLPLUS)
  SPECIAL[p] = (tokens, i, ctx, edits) => {
    // `sqlplus user/password@db` (the first word that is not a flag).
    const t = unquote(tokens[i]!.raw);
    if (ctx.words.has('sqlplus:done') || t.startsWith('-')) return 0;
    ctx.words.add('sqlplus:done');
    const slash = t.indexOf('/');
    if (slash > 0 && !t.startsWith('/')) {
      const at = t.indexOf('@', slash);
      const edit = secretPart(tokens[i]!, slash + 1);
      if (edit && at > slash + 1) edit.to = edit.from + (at - slash - 1);
      if (at !== slash + 1) push(edits, edit);
    }
    return 0;
  };

function push(edits: Edit[], edit: Edit | null): void {
  if (edit && !isPlaceholder(edit.token.raw.slice(edit.from, edit.to))) edits.push(edit);
}

const SEPARATORS = new Set([';', '|', '||', '&&', '&', '(', ')', '`', '$(']);
const isSeparator = (t: string) => SEPARATORS.has(t) || t.endsWith(';');

/** `--token`, `-client-secret`, `--pass`: the strength of a flag's name, or null. */
function secretFlag(arg: string): Strength | null {
  if (arg.length < 4 || arg.charCodeAt(0) !== 45 || !/^--?[A-Za-z][A-Za-z0-9_.-]*$/.test(arg) || arg.startsWith('--no-')) return null;
  const strength = secretNameStrength(arg.replace(/^-+/, ''));
  // A flag says more than a name in text: `--pass X` and `--credentials X` name the secret.
  return strength === 'weak' && /pass|credential/i.test(arg) ? 'strong' : strength;
}

const PROGRAMS = new Map<string, ProgramFlags[]>();
for (const rule of PROGRAM_FLAGS)
  for (const p of rule.programs) PROGRAMS.set(p, [...(PROGRAMS.get(p) ?? []), rule]);
const KNOWN = new Set([...PROGRAMS.keys(), ...Object.keys(SPECIAL)]);

/** Program flags: `-p X`, `-pX`; returns how many tokens it consumed, or -1 when it did not apply. */
function programFlag(tokens: Token[], i: number, ctx: Context, edits: Edit[]): number {
  const arg = unquote(tokens[i]!.raw);
  for (const rule of PROGRAMS.get(ctx.program) ?? []) {
    if (rule.after && !ctx.words.has(rule.after)) continue;
    for (const flag of rule.flags) {
      if (arg === flag && !rule.attachedOnly) {
        const next = tokens[i + 1];
        if (next && !unquote(next.raw).startsWith('-')) push(edits, secretPart(next));
        return 1;
      }
      if (!rule.separateOnly && arg.startsWith(flag) && arg.length > flag.length && flag.length === 2 && !arg.startsWith('--')) {
        push(edits, secretPart(tokens[i]!, flag.length));
        return 0;
      }
    }
  }
  return -1;
}

/** The edits that hide every secret in a list of command-line tokens. */
const MAX_NESTING = 2;

export function commandEdits(tokens: Token[], argv0Program?: string, nested = 0): Edit[] {
  const edits: Edit[] = [];
  const ctx: Context = { program: argv0Program ?? '', words: new Set() };
  for (let i = 0; i < tokens.length; i++) {
    const raw = tokens[i]!.raw;
    const word = unquote(raw);
    if (raw === '\n' || isSeparator(word)) {
      ctx.program = '';
      ctx.words.clear();
      continue;
    }
    const name = word.startsWith('-') || word.length > 200 ? '' : programName(raw);
    if (name && KNOWN.has(name) && name !== ctx.program) {
      ctx.program = name;
      ctx.words.clear();
      continue;
    }
    if (!word.startsWith('-')) ctx.words.add(word);
    if (word !== raw && /\s/.test(word) && nested < MAX_NESTING) {
      // `sh -c "mysql -pX db"`: the quoted command is a command line of its own.
      const inner = redactCommandText(word, nested + 1);
      if (inner !== word) edits.push({ token: tokens[i]!, from: 1, to: raw.length - 1, text: inner });
    }
    let used = programFlag(tokens, i, ctx, edits);
    if (used < 0) used = SPECIAL[ctx.program]?.(tokens, i, ctx, edits) ?? 0;
    if (used === 0) {
      const strength = secretFlag(word);
      const next = tokens[i + 1];
      if (strength && next && next.raw !== '\n' && !unquote(next.raw).startsWith('-') && valueIsSecret(strength, unquote(next.raw))) {
        push(edits, secretPart(next));
        used = 1;
      }
    }
    i += used;
  }
  return edits;
}

const WS = (c: number) => c === 32 || c === 9 || c === 13 || c === 11 || c === 12;

/**
 * Splits text into shell-like words: whitespace separates, a quote runs to
 * its closing quote on the same line, a newline is its own token. Each quote
 * looks for its close at most once (the answer is remembered), so the split
 * stays linear.
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const nextQuote: Record<string, number> = { '"': -2, "'": -2 };
  const closeOf = (q: string, from: number) => {
    if (nextQuote[q]! < from && nextQuote[q] !== -1) {
      const k = text.indexOf(q, from);
      nextQuote[q] = k;
    }
    return nextQuote[q]! >= from ? nextQuote[q]! : -1;
  };
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (WS(c)) {
      i++;
      continue;
    }
    if (c === 10) {
      tokens.push({ raw: '\n', start: i, entry: 0 });
      i++;
      continue;
    }
    const start = i;
    while (i < text.length) {
      const d = text.charCodeAt(i);
      if (WS(d) || d === 10) break;
      if (d === 34 || d === 39) {
        const close = closeOf(text[i]!, i + 1);
        const nl = text.indexOf('\n', i + 1);
        if (close > i && (nl < 0 || close < nl)) {
          i = close + 1;
          continue;
        }
      }
      i++;
    }
    tokens.push({ raw: text.slice(start, i), start, entry: 0 });
  }
  return tokens;
}

/** Cheap check: text with none of these has nothing for the command rules. */
const MAYBE_COMMAND = /(?:^|[\s"'])--?[A-Za-z]|sqlplus|sqlldr|expdp|impdp|rman|aws\s/;

/** Redacts command-line secrets in free text. */
export function redactCommandText(text: string, nested = 0): string {
  if (!MAYBE_COMMAND.test(text)) return text;
  const edits = commandEdits(tokenize(text), undefined, nested);
  if (edits.length === 0) return text;
  edits.sort((a, b) => a.token.start + a.from - (b.token.start + b.from));
  let out = '';
  let copied = 0;
  for (const e of edits) {
    const from = e.token.start + e.from;
    if (from < copied) continue;
    out += text.slice(copied, from) + (e.text ?? REDACTED);
    copied = e.token.start + e.to;
  }
  return out + text.slice(copied);
}

/** Applies edits to argv entries (one token per entry). */
export function redactArgvEntries(argv: readonly string[], redactEntry: (s: string) => string): string[] {
  const tokens = argv.map((raw, entry) => ({ raw, start: 0, entry }));
  const edits = commandEdits(tokens.slice(1), programName(argv[0] ?? ''));
  const out = argv.map(redactEntry);
  const byEntry = new Map<number, Edit>();
  for (const e of edits) byEntry.set(e.token.entry, e);
  for (const [entry, e] of byEntry) if (e.text === undefined) out[entry] = `${argv[entry]!.slice(0, e.from)}${REDACTED}${argv[entry]!.slice(e.to)}`;
  return out;
}
