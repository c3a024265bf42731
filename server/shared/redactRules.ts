// The redaction rules for free text, from specific (key blocks, headers, known
// token formats, URLs) to generic (name=value pairs, random-looking runs).
// Each is linear (see redactScan.ts for how); the order matters only in that a
// specific rule leaves `[REDACTED]` behind, which every later rule skips.
import { isPlaceholder, looseValueIsSecret, secretNameStrength, valueIsSecret } from './redactNames';
import { isHex, isSecretEnvValue, isSecretRun, looksLikeToken } from './redactRandom';
import {
  MAX_VALUE,
  REDACTED,
  readValue,
  redactedValue,
  runEnd,
  skipSpaces,
  TOKEN_CHAR,
  type Hit,
  type Rule,
} from './redactScan';

/**
 * The text between the start of the line and `i`, at most `max` characters
 * (with a leading `\u0000` when the line starts further back, so `^` tests fail).
 * Never scans further than `max` back: rules call it once per anchor.
 */
function lineBefore(text: string, i: number, max: number): string {
  const from = Math.max(0, i - max);
  for (let k = i - 1; k >= from; k--) if (text.charCodeAt(k) === 10) return text.slice(k + 1, i);
  return (from > 0 ? '\u0000' : '') + text.slice(from, i);
}

/** `${{ secrets.X }}` (GitHub Actions), `{{ .Values.x }}` (Helm, Jinja): a template that names a secret, not one. */
const isTemplate = (text: string, i: number) => text.startsWith('{{', i) || text.startsWith('${{', i);

const keep = (prefix: string, start: number, end: number): Hit => ({ start, end, text: `${prefix}${REDACTED}` });
const already = (text: string, i: number) => text.startsWith('[REDACTED', i);
/** A value that already holds a redaction (`ghp_[REDACTED]`): a second rule must not swallow its prefix. */
const holdsRedaction = (value: string) => value.includes('[REDACTED');

// ------------------------------------------------------------ private keys

const BEGIN_KEY = /-----BEGIN ((?:[A-Z0-9]{1,20} ){0,4})PRIVATE KEY( BLOCK)?-----/g;
const END_KEY = /-----END (?:[A-Z0-9]{1,20} ){0,4}PRIVATE KEY(?: BLOCK)?-----/g;

/** A private key block, also when its END line was cut off (then to the end of the text). */
const privateKeyBlock: Rule = {
  what: 'private key blocks',
  anchor: BEGIN_KEY,
  read(text, m) {
    const bodyStart = m.index + m[0].length;
    if (already(text, bodyStart)) return null;
    END_KEY.lastIndex = bodyStart;
    const end = END_KEY.exec(text);
    const kind = `${m[1] ?? ''}PRIVATE KEY${m[2] ?? ''}`;
    return { start: m.index, end: end ? end.index + end[0].length : text.length, text: `-----BEGIN ${kind}-----${REDACTED}-----END ${kind}-----` };
  },
};

// ------------------------------------------------------------ headers

const AUTH_SCHEMES = new Set(['bearer', 'basic', 'digest', 'token', 'negotiate', 'apikey', 'ntlm', 'aws4-hmac-sha256']);

/** `Authorization: Bearer x`, `authorization=Basic x`, `"Proxy-Authorization": "x"`: the credential, scheme kept. */
const authorizationHeader: Rule = {
  what: 'Authorization headers',
  anchor: /(?<![A-Za-z0-9_-])(?:proxy-)?authorization["']?[ \t]*[:=][ \t]*["']?/gi,
  read(text, m) {
    const valueStart = m.index + m[0].length;
    let i = valueStart;
    const wordEnd = runEnd(text, i, TOKEN_CHAR);
    let scheme = '';
    if (AUTH_SCHEMES.has(text.slice(i, wordEnd).toLowerCase()) && (text[wordEnd] === ' ' || text[wordEnd] === '\t')) {
      scheme = text.slice(i, wordEnd) + ' ';
      i = skipSpaces(text, wordEnd);
    }
    if (already(text, i)) return null;
    let end = i;
    while (end < text.length && !/[\s"',;]/.test(text[end]!)) end++;
    return end > i ? keep(scheme, valueStart, end) : null;
  },
};

/** `Cookie: a=b; c=d` and `Set-Cookie: …` as headers: the rest of the line (a quoted value is left to the name=value rule). */
const cookieHeader: Rule = {
  what: 'Cookie and Set-Cookie headers',
  anchor: /(?<![A-Za-z0-9_"'-])(?:set-)?cookie[ \t]*:[ \t]*/gi,
  read(text, m) {
    const i = m.index + m[0].length;
    if (already(text, i) || /["'\n\r]/.test(text[i] ?? '\n')) return null;
    const v = readValue(text, i, true);
    return v ? keep('', v.start, v.end) : null;
  },
};

const BEARER_CHAR = (c: number) => TOKEN_CHAR(c) || c === 46 || c === 126 || c === 43 || c === 47; // . ~ + /

/** `Bearer <token>` anywhere (a word after "bearer" that looks random, so "the bearer of news" stays). */
const bearer: Rule = {
  what: 'bearer tokens',
  anchor: /(?<![A-Za-z0-9_-])bearer[ \t]+/gi,
  read(text, m) {
    const i = m.index + m[0].length;
    let end = runEnd(text, i, BEARER_CHAR);
    const padEnd = runEnd(text, end, (c) => c === 61);
    if (!BEARER_CHAR(text.charCodeAt(padEnd))) end = padEnd;
    // `bearer expires_in=3600`: a name with a value after it, not a token.
    if (text[end] === '=' || text[end] === ':') return null;
    return end > i && looksLikeToken(text.slice(i, end)) ? keep(m[0], m.index, end) : null;
  },
};

// ------------------------------------------------------------ known formats

/** Known token prefixes and the shortest body after them that is a real token. */
const PREFIXES: [string, number][] = [
  ['sk-ant-', 12], ['sk-proj-', 16], ['sk-svcacct-', 16], ['sk-admin-', 16], ['sk-', 16],
  ['sk_live_', 10], ['sk_test_', 10], ['rk_live_', 10], ['rk_test_', 10], ['whsec_', 16],
  ['github_pat_', 20], ['ghp_', 20], ['gho_', 20], ['ghu_', 20], ['ghs_', 20], ['ghr_', 20],
  ['glpat-', 20], ['glrt-', 20], ['gldt-', 20], ['glptt-', 20], ['glcbt-', 20], ['gloas-', 20], ['glsoat-', 20], ['glffct-', 20],
  ['glimt-', 20], ['glagent-', 20], ['GR1348941', 20], ['glsa_', 32], ['glc_', 32],
  ['npm_', 36], ['pypi-', 50], ['dckr_pat_', 20], ['hf_', 30], ['shpat_', 32], ['shpss_', 32], ['shpca_', 32],
  ['dop_v1_', 60], ['doo_v1_', 60], ['dor_v1_', 60], ['sntrys_', 40], ['sntryu_', 40], ['lin_api_', 32], ['PMAK-', 20],
  ['xoxa-', 10], ['xoxb-', 10], ['xoxp-', 10], ['xoxo-', 10], ['xoxs-', 10], ['xoxr-', 10], ['xoxe-', 10], ['xapp-', 10],
  ['hvs.', 24], ['hvb.', 24], ['GOCSPX-', 20], ['ya29.', 20],
];
const PREFIX_MIN = new Map(PREFIXES.map(([p, n]) => [p.toLowerCase(), n]));
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `ghp_…`, `sk-…`, `glrt-…`, `hvs.…`: the prefix stays (it says what leaked), the body goes. */
const knownPrefixes: Rule = {
  what: 'known token formats (GitHub, GitLab, OpenAI, Anthropic, Stripe, Slack, npm, PyPI, Docker, Hugging Face, Vault, Google, ...)',
  anchor: new RegExp(`(?<![A-Za-z0-9_-])(?:${PREFIXES.map(([p]) => escapeRe(p)).join('|')})(?=[A-Za-z0-9_-])`, 'g'),
  read(text, m) {
    const bodyStart = m.index + m[0].length;
    const end = runEnd(text, bodyStart, TOKEN_CHAR);
    const min = PREFIX_MIN.get(m[0].toLowerCase()) ?? 16;
    // OpenAI's project/service keys keep only `sk-`: the rest of the prefix says nothing a reader needs.
    return end - bodyStart >= min ? keep(m[0].startsWith('sk-') && m[0] !== 'sk-ant-' ? 'sk-' : m[0], m.index, end) : null;
  },
};

/** Formats with a fixed shape and no useful prefix to keep. */
const FIXED_FORMATS: { what: string; re: RegExp; prefix?: number }[] = [
  { what: 'AWS access key ids', re: /(?<![A-Za-z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])/g, prefix: 4 },
  { what: 'Google API keys', re: /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g, prefix: 4 },
  { what: 'Azure client secrets', re: /(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])/g },
  { what: 'Discord bot tokens', re: /(?<![A-Za-z0-9_.-])[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,40}(?![A-Za-z0-9_.-])/g },
  { what: 'SendGrid keys', re: /(?<![A-Za-z0-9_.-])SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}(?![A-Za-z0-9_.-])/g, prefix: 3 },
  { what: 'Telegram bot tokens', re: /(?<![A-Za-z0-9_:-])\d{8,10}:AA[A-Za-z0-9_-]{33}(?![A-Za-z0-9_-])/g },
  { what: 'Slack webhooks', re: /(?<=hooks\.slack\.com\/(?:services|workflows)\/)[A-Za-z0-9/_-]+/g },
  { what: 'Discord webhooks', re: /(?<=discord(?:app)?\.com\/api\/webhooks\/\d{1,20}\/)[A-Za-z0-9_-]+/g },
];

const fixedFormats: Rule[] = FIXED_FORMATS.map(({ what, re, prefix = 0 }) => ({
  what,
  anchor: re,
  read: (text, m) => keep(m[0].slice(0, prefix), m.index, m.index + m[0].length),
}));

const jwt: Rule = {
  what: 'JSON Web Tokens',
  anchor: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
  read: (_text, m) => ({ start: m.index, end: m.index + m[0].length, text: '[REDACTED_JWT]' }),
};

// ------------------------------------------------------------ URLs

/** Characters that end a URL in text: whitespace, quotes, angle brackets. */
const URL_END = (c: number) => c <= 32 || c === 34 || c === 39 || c === 96 || c === 60 || c === 62;

/**
 * `scheme://user:password@host`: the password goes, the user stays. A
 * password may hold `@ / # :` (DSNs are rarely escaped), so it runs to the
 * last `@` of the URL that does not follow a `/` (`/@scope/pkg` is a path).
 * A long random user with no password is a token (`https://ghp_…@github.com`).
 */
const urlCredentials: Rule = {
  what: 'credentials in URLs',
  anchor: /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}:\/\//g,
  read(text, m) {
    const userStart = m.index + m[0].length;
    let userEnd = userStart;
    while (userEnd < text.length && !URL_END(text.charCodeAt(userEnd)) && !':@/?#'.includes(text[userEnd]!)) userEnd++;
    if (text[userEnd] === ':') {
      const pwStart = userEnd + 1;
      const at = lastAtOfUrl(text, pwStart);
      if (at <= pwStart || already(text, pwStart) || /^\d{1,5}(?:[/?#]|$)/.test(text.slice(pwStart, at))) return null;
      return keep(text.slice(m.index, pwStart), m.index, at);
    }
    if (text[userEnd] === '@' && userEnd - userStart >= 16 && looksLikeToken(text.slice(userStart, userEnd)) && !already(text, userStart))
      return keep(m[0], m.index, userEnd);
    return null;
  },
};

/**
 * The last `@` (not right after a `/`) from `from` to the end of the URL, or
 * -1. Remembered per URL, so many `scheme://` inside one long word read it once.
 */
const lastAt = { text: '', from: 0, end: -1, at: -1 };
function lastAtOfUrl(text: string, from: number): number {
  if (lastAt.text !== text || from < lastAt.from || from >= lastAt.end) {
    const end = runEnd(text, from, (c) => !URL_END(c));
    let at = -1;
    for (let k = end - 1; k >= from && at < 0; k--) if (text[k] === '@' && text[k - 1] !== '/') at = k;
    Object.assign(lastAt, { text, from, end, at });
  }
  return lastAt.at >= from ? lastAt.at : -1;
}

// ------------------------------------------------------------ name = value

const NAME_CHAR = (c: number) => TOKEN_CHAR(c) || c === 46; // .
const LINE_START_NAME = /^[ \t]*(?:-[ \t]+)?["']?$/;

/**
 * `name=value`, `name: value`, `"name": "value"`, `--name=value`, `&sig=…`
 * for any name whose last word is a secret word (see redactNames.ts). A
 * `name:` at the start of a line (YAML, .env, netrc-like listings) takes the
 * rest of the line, so a password with spaces does not leak its tail.
 */
const namedValue: Rule = {
  what: 'name=value and name: value pairs',
  anchor:
    /(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]*?(?:pass(?:word|wd|phrase)?|pwd|secret|token|key|auth|credentials?|cookies?|sig(?:nature)?)["']?[ \t]*[:=](?![:=])[ \t]*/gi,
  read(text, m) {
    const name = m[0].slice(0, runEnd(m[0], 0, NAME_CHAR));
    const before = text[m.index - 1];
    const strength = secretNameStrength(name, before === '?' || before === '&');
    if (!strength) return null;
    const i = m.index + m[0].length;
    if (already(text, i) || isTemplate(text, i)) return null;
    const sep = m[0].includes('=') ? '=' : ':';
    const toLineEnd = strength !== 'weak' && sep === ':' && LINE_START_NAME.test(lineBefore(text, m.index, 40)) && !/["'[{]/.test(text[i] ?? '');
    const v = readValue(text, i, toLineEnd);
    if (!v || holdsRedaction(v.inner)) return null;
    return v.inner.length > MAX_VALUE || valueIsSecret(strength, v.inner) ? redactedValue(v) : null;
  },
};

/**
 * A secret word followed by its value with only spaces between (`token
 * abc123`, `password hunter2`, netrc's `login bob password s3cr3t`): the
 * value must look like a credential (letters and digits, or symbols) unless
 * the line is a netrc entry.
 */
const looseValue: Rule = {
  what: 'values after a secret word (token abc123, netrc password)',
  anchor: /(?<![A-Za-z0-9_.-])(?:api[ _-]?key|access[ _-]?key|secret[ _-]?key|access[ _-]?token|auth[ _-]?token|client[ _-]?secret|password|passwd|passphrase|secret|token)[ \t]+(?:is[ \t]+)?/gi,
  read(text, m) {
    const i = m.index + m[0].length;
    if (already(text, i) || isTemplate(text, i) || text[i] === '-' || text[i] === '=' || text[i] === ':') return null;
    const v = readValue(text, i);
    if (!v || holdsRedaction(v.inner)) return null;
    const netrc = mayBeNetrc(text) && /(?:^|\s)(?:machine|default|login)\s/.test(lineBefore(text, m.index, 200));
    const secret = netrc ? !isPlaceholder(v.inner) : looseValueIsSecret(v.inner);
    return secret ? redactedValue(v) : null;
  },
};

/** Whether the text has a netrc keyword at all (remembered per text: asked once per anchor). */
const netrcSeen = { text: '', seen: false };
function mayBeNetrc(text: string): boolean {
  if (netrcSeen.text !== text) Object.assign(netrcSeen, { text, seen: /(?:^|\s)(?:machine|default|login)\s/.test(text) });
  return netrcSeen.seen;
}

/** pgpass lines `host:port:database:user:password`: the last field. */
const pgpassLine: Rule = {
  what: '.pgpass lines',
  anchor: /(?<![^\s])(?=[^\s:]*[A-Za-z*])[^\s:]+:(?:\d{1,5}|\*):[^\s:]+:[^\s:]+:/g,
  read(text, m) {
    const i = m.index + m[0].length;
    if (already(text, i)) return null;
    const end = runEnd(text, i, (c) => c > 32);
    return end > i ? keep('', i, end) : null;
  },
};

// ------------------------------------------------------------ generic

const ENV_NAME_CHAR = (c: number) => (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
/** Env names whose long hex value is a commit or a checksum, not a key. */
const DIGEST_ENV_NAME = /(?:SHA|COMMIT|HASH|DIGEST|REV|REVISION|CHECKSUM|UUID|_ID)$/;
const B64_CHAR = (c: number) => TOKEN_CHAR(c) || c === 43 || c === 47; // + /

/** A long hex or random-looking value assigned to any env-style name (digest-named ones excepted). */
const envAssignment: Rule = {
  what: 'long random values in env assignments',
  anchor: /(?<![A-Za-z0-9_])[A-Z][A-Z0-9_]*=["']?(?=[A-Za-z0-9+/_-]{32})/g,
  read(text, m) {
    const name = m[0].slice(0, m[0].indexOf('='));
    if (DIGEST_ENV_NAME.test(name)) return null;
    const i = m.index + m[0].length;
    const quote = m[0].endsWith('"') || m[0].endsWith("'") ? m[0][m[0].length - 1]! : '';
    let end = runEnd(text, i, B64_CHAR);
    end = runEnd(text, end, (c) => c === 61);
    if (quote ? text[end] !== quote : B64_CHAR(text.charCodeAt(end)) || text[end] === '=') return end;
    return isSecretEnvValue(text.slice(i, end)) ? keep('', i, end) : end;
  },
};

/** Text right before a value that says it is a digest or an id (`sha256:`, `commit `, `trace_id=`, go.sum's `h1:`). */
const DIGEST_LABEL =
  /(?:sha1|sha256|sha384|sha512|md5|blake2b?|digest|integrity|checksum|commit|tree|parent|object|\bh1:|etag|(?:trace|span|request|req|correlation|transaction|b3|build|job|run|message|msg|event|operation|container|image)[-_. ]?(?:id)?|traceparent|(?:md5|sha\d*)\s*\([^()]*\)\s*=)["']?[\s:=-]*["']?$/i;
/** md5sum/sha*sum output: `<hex>  <file>` at the start of a line. */
const SUM_LINE = /^[0-9a-fA-F]{32,128} [ *]\S/;

/** Long random-looking runs anywhere: hex keys, base64 secrets. */
const randomRun: Rule = {
  what: 'long random-looking strings (hex, base64)',
  anchor: /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{32}/g,
  read(text, m) {
    let end = runEnd(text, m.index + 32, B64_CHAR);
    const padEnd = runEnd(text, end, (c) => c === 61);
    if (padEnd - end <= 2 && !B64_CHAR(text.charCodeAt(padEnd)) && text[padEnd] !== '=') end = padEnd;
    const run = text.slice(m.index, end);
    const head = text.slice(Math.max(0, m.index - 40), m.index);
    if (DIGEST_LABEL.test(head)) return end;
    if ((m.index === 0 || text[m.index - 1] === '\n') && isHex(run) && SUM_LINE.test(text.slice(m.index, Math.min(text.length, end + 3)))) return end;
    return isSecretRun(run) ? keep('', m.index, end) : end;
  },
};

export const TEXT_RULES: readonly Rule[] = [
  privateKeyBlock,
  authorizationHeader,
  cookieHeader,
  bearer,
  knownPrefixes,
  ...fixedFormats,
  jwt,
  urlCredentials,
  namedValue,
  looseValue,
  pgpassLine,
  envAssignment,
  randomRun,
];

/** The rule list for the docs: what each one finds, in the order they run. */
export const RULE_NAMES = (): string[] => TEXT_RULES.map((r) => r.what);
