// Which names carry a secret (`password`, `db_pass`, `apiKey`, `PGPASSWORD`,
// `--client-secret`) and whether the value given to one is really a secret
// (`auth=ok`, `key: app.kubernetes.io/name` and `PWD=/home/dev` are not).
// Names are judged by their last word, so `aws_secret_access_key` and
// `javax.net.ssl.keyStorePassword` both count, while `max_tokens`,
// `tokenizer`, `monkey` and `key_id` do not.

/**
 * How sure a name makes us that its value is a secret:
 * - strong: redact any value that is not a placeholder (`password`, `api_key`);
 * - weak: redact only values that look like a credential, not a word, number
 *   or path (`key`, `auth`, `pass`, `credentials`);
 * - path: like strong, but a path is the working directory (`PWD`, ODBC `Pwd`).
 */
export type Strength = 'strong' | 'weak' | 'path';

interface SecretWord {
  word: string;
  strength: Strength;
  /** Whether the word may be glued to the word before it (`PGPASSWORD`, `csrftoken`). */
  glued: boolean;
}

const WORDS: SecretWord[] = [
  { word: 'password', strength: 'strong', glued: true },
  { word: 'passwd', strength: 'strong', glued: true },
  { word: 'passphrase', strength: 'strong', glued: true },
  { word: 'secret', strength: 'strong', glued: true },
  { word: 'token', strength: 'strong', glued: true },
  { word: 'apikey', strength: 'strong', glued: true },
  { word: 'authorization', strength: 'strong', glued: false },
  { word: 'cookie', strength: 'strong', glued: false },
  { word: 'cookies', strength: 'strong', glued: false },
  { word: 'pwd', strength: 'path', glued: false },
  { word: 'pass', strength: 'weak', glued: false },
  { word: 'auth', strength: 'weak', glued: false },
  { word: 'credential', strength: 'weak', glued: false },
  { word: 'credentials', strength: 'weak', glued: false },
  { word: 'key', strength: 'weak', glued: false },
];

/** Words before `key` that make it a credential (`api_key`, `AccountKey`, `secretkey`). */
const KEY_KINDS = /(?:api|access|secret|private|signing|encryption|master|account|sharedaccess|shared_access|client|subscription|storage|auth|license|consumer|app|service)[_.-]?$/i;
/** Query parameters that carry a signature (Azure SAS `sig=`, S3 presigned URLs). */
const QUERY_SECRETS = new Set(['sig', 'signature', 'x-amz-signature', 'x-goog-signature']);

const isLower = (c: string) => c >= 'a' && c <= 'z';
const isUpper = (c: string) => c >= 'A' && c <= 'Z';
const isDigitChar = (c: string) => c >= '0' && c <= '9';

/** Names seen lately and their strength: a line of `key=… key=…` asks about the same few names again and again. */
const seen = new Map<string, Strength | null>();
const SEEN_MAX = 512;

/** The strength of a name, or null when it names no secret. `inQuery`: the name follows `?` or `&`. */
export function secretNameStrength(rawName: string, inQuery = false): Strength | null {
  const memoKey = inQuery ? `?${rawName}` : rawName;
  const known = seen.get(memoKey);
  if (known !== undefined) return known;
  const strength = judgeName(rawName, inQuery);
  if (seen.size >= SEEN_MAX) seen.clear();
  seen.set(memoKey, strength);
  return strength;
}

function judgeName(rawName: string, inQuery: boolean): Strength | null {
  const name = rawName.replace(/^[-_]+/, '');
  if (!name || name.length > 100) return null;
  const lower = name.toLowerCase();
  if (inQuery && QUERY_SECRETS.has(lower)) return 'strong';
  for (const w of WORDS) {
    if (!lower.endsWith(w.word)) continue;
    const at = name.length - w.word.length;
    if (at === 0) return w.strength;
    const before = name[at - 1]!;
    const first = name[at]!;
    const separated = before === '_' || before === '.' || before === '-';
    const camel = isUpper(first) && (isLower(before) || isDigitChar(before));
    const allUpper = name === name.toUpperCase();
    if (w.word === 'key') {
      // Env-style `STRIPE_KEY`, `OPENAI_KEY` hold keys; `api_key`, `AccountKey` say so.
      if (KEY_KINDS.test(name.slice(0, at)) || (allUpper && before === '_')) return 'strong';
      return separated || camel ? 'weak' : null;
    }
    if (separated || camel || (w.glued && (allUpper || lower === name))) return w.strength;
    // `bypass`, `compass`, `OLDPWD`, `oauth`: a word that only ends like a secret one.
    return null;
  }
  return null;
}

/** Values that stand for a secret without being one: empty, booleans, references, masks. */
const PLACEHOLDER =
  /^(?:|true|false|null|nil|none|undefined|yes|no|on|off|\*+|x{3,}|\.{3}|…|<[^<>]*>|\$\{?[A-Z_][A-Z0-9_]*\}?|%[A-Za-z_][A-Za-z0-9_]*%|\{\{[^{}]*\}\}|\[redacted[^\]]*\]?|redacted|hidden|masked)$/i;
/** A path: the value of `PWD`, a key file, a label like `app.kubernetes.io/name`. */
const PATH = /^(?:~?\/|\.\.?\/|[A-Za-z]:[\\/])/;
const DOTTED_NAME = /^[A-Za-z][A-Za-z0-9_-]*(?:[./][A-Za-z][A-Za-z0-9_-]*)+$/;
const PLAIN_WORD = /^[A-Za-z][a-z]*$/;
const SMALL_NUMBER = /^\d{1,6}$/;

export const isPlaceholder = (value: string): boolean => PLACEHOLDER.test(value);

/** Whether a value given to a name of this strength is a secret (the value without its quotes). */
export function valueIsSecret(strength: Strength, value: string): boolean {
  if (isPlaceholder(value) || value.startsWith('[REDACTED')) return false;
  if (strength === 'strong') return true;
  if (strength === 'path') return !PATH.test(value);
  return !(PLAIN_WORD.test(value) || SMALL_NUMBER.test(value) || PATH.test(value) || DOTTED_NAME.test(value));
}

/** A word after a secret word with no `=`/`:` between (`token abc123`): needs letters and digits, or symbols. */
export function looseValueIsSecret(value: string): boolean {
  if (value.length < 6 || value.length > 512 || isPlaceholder(value) || PATH.test(value) || DOTTED_NAME.test(value)) return false;
  const digits = /\d/.test(value);
  const letters = /[A-Za-z]/.test(value);
  return (digits && letters) || (letters && /[^A-Za-z0-9.,:;!?'"()-]/.test(value));
}
