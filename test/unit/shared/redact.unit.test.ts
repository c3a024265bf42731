import assert from 'node:assert/strict';
import fc from 'fast-check';
import { redact, redactArgv, redactDeep, REDACTED } from '../../../server/shared/redact';

// Secrets below are assembled at run time so that no real-looking token sits in the repo.
const rep = (s: string, n: number) => s.repeat(n);
const GHP = `ghp_${rep('A1b2C3d4', 5).slice(0, 36)}`;
const PAT = `github_pat_11ABCDEFG0${rep('x9Y', 10)}_${rep('Qw3', 9)}`;
const OPENAI = `sk-proj-${rep('Ab9Cd8Ef7', 4)}`;
const ANTHROPIC = `sk-ant-api03-${rep('Zx8Yw7Vu6', 6)}-AA`;
const SLACK = `xoxb-123456789012-1234567890123-${rep('aB3', 8)}`;
const AWS_ID = 'AKIAZ7QW3ERT5YUI2OPL';
const AWS_SECRET = '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';
const JWT = `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwiaWF0IjoxNTE2MjM5MDIyfQ.${rep('Sf1KxwRJ', 5)}`;
const HEX32 = '9f3c2a7be41d08c65f7a2e9d1b4c8a03';
const HEX48 = `${HEX32}7d2e4f6a8b0c1d3e`;
const SHA40 = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const B64 = 'Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbA==';
const B64URL = 'kq3Xz_9Lm-Tr7Vb2Nc5Hs8Jd1Pf4Wg6Yq0Ea3Ru';

interface Positive {
  name: string;
  input: string;
  secret: string;
  expect?: string;
}

const positives: Positive[] = [
  { name: 'bearer header', input: `Authorization: Bearer ${B64URL}`, secret: B64URL, expect: `Authorization: Bearer ${REDACTED}` },
  { name: 'bearer in curl -H', input: `curl -H "Authorization: Bearer abcdef123456" https://api`, secret: 'abcdef123456' },
  { name: 'bare bearer token', input: `using Bearer tok_${HEX32.slice(0, 12)} now`, secret: `tok_${HEX32.slice(0, 12)}`, expect: `using Bearer ${REDACTED} now` },
  { name: 'basic auth header', input: 'authorization: Basic dXNlcjpwYXNz', secret: 'dXNlcjpwYXNz', expect: `authorization: Basic ${REDACTED}` },
  { name: 'key=value', input: 'connecting with key=s3cr3tvalue', secret: 's3cr3tvalue', expect: `connecting with key=${REDACTED}` },
  { name: 'token: value', input: 'token: abc123xyz', secret: 'abc123xyz', expect: `token: ${REDACTED}` },
  { name: 'SECRET= any case', input: 'SeCrEt=hunter2', secret: 'hunter2', expect: `SeCrEt=${REDACTED}` },
  { name: 'password: value', input: 'password: hunter2', secret: 'hunter2', expect: `password: ${REDACTED}` },
  { name: 'json password', input: '{"user":"bob","password":"hunter2"}', secret: 'hunter2', expect: `{"user":"bob","password":"${REDACTED}"}` },
  { name: 'python dict api_key', input: "{'api_key': 'xyz789'}", secret: 'xyz789', expect: `{'api_key': '${REDACTED}'}` },
  { name: 'dotted name', input: 'db.password = s3cret!', secret: 's3cret!' },
  { name: 'query string token', input: 'GET /cb?state=1&access_token=abc.def.ghi&x=2', secret: 'abc.def.ghi', expect: `GET /cb?state=1&access_token=${REDACTED}&x=2` },
  { name: 'header x-api-key', input: 'X-Api-Key: 0a1b2c3d4e', secret: '0a1b2c3d4e' },
  { name: 'env *_KEY', input: 'export STRIPE_KEY=rk_abc_123', secret: 'rk_abc_123', expect: `export STRIPE_KEY=${REDACTED}` },
  { name: 'env *_TOKEN', input: 'NPM_TOKEN=abcdef0123', secret: 'abcdef0123', expect: `NPM_TOKEN=${REDACTED}` },
  { name: 'env *_SECRET quoted', input: 'CLIENT_SECRET="two words"', secret: 'two words', expect: `CLIENT_SECRET="${REDACTED}"` },
  { name: 'env *_PASSWORD', input: 'DB_PASSWORD=hunter2 psql', secret: 'hunter2', expect: `DB_PASSWORD=${REDACTED} psql` },
  { name: 'env glued PGPASSWORD', input: 'PGPASSWORD=hunter2 psql -h db', secret: 'hunter2', expect: `PGPASSWORD=${REDACTED} psql -h db` },
  { name: 'yaml env secret', input: '  AWS_SECRET_ACCESS_KEY: ' + AWS_SECRET, secret: AWS_SECRET },
  { name: 'cli --token VALUE', input: 'deploy --token abc123 --verbose', secret: 'abc123', expect: `deploy --token ${REDACTED} --verbose` },
  { name: 'cli --password=VALUE', input: 'tool --password=hunter2', secret: 'hunter2', expect: `tool --password=${REDACTED}` },
  { name: 'cli --api-key quoted', input: 'tool --api-key "a b c"', secret: 'a b c', expect: `tool --api-key "${REDACTED}"` },
  { name: 'cli -client-secret', input: 'java -jar app.jar -client-secret s3cr3t', secret: 's3cr3t' },
  { name: 'mysql -pSECRET', input: 'mysql -u root -phunter2 shop', secret: 'hunter2', expect: `mysql -u root -p${REDACTED} shop` },
  { name: 'sshpass -p', input: 'sshpass -p hunter2 ssh deploy@host', secret: 'hunter2', expect: `sshpass -p ${REDACTED} ssh deploy@host` },
  { name: 'curl -u user:pass', input: 'curl -u admin:hunter2 https://x', secret: 'hunter2', expect: `curl -u admin:${REDACTED} https://x` },
  { name: 'url credentials', input: 'cloning https://bob:pa55w0rd@git.example.com/repo.git', secret: 'pa55w0rd', expect: `cloning https://bob:${REDACTED}@git.example.com/repo.git` },
  { name: 'postgres url', input: 'postgres://app:Sup3r$ecret@db:5432/app', secret: 'Sup3r$ecret' },
  { name: 'token as url user', input: `git clone https://${GHP}@github.com/o/r`, secret: GHP.slice(4), expect: `git clone https://ghp_${REDACTED}@github.com/o/r` },
  { name: 'aws access key id', input: `aws_access_key_id ${AWS_ID}`, secret: AWS_ID, expect: `aws_access_key_id AKIA${REDACTED}` },
  { name: 'aws secret key alone', input: `secret is ${AWS_SECRET} ok`, secret: AWS_SECRET },
  { name: 'github ghp_', input: `token ${GHP} leaked`, secret: GHP.slice(4), expect: `token ghp_${REDACTED} leaked` },
  { name: 'github_pat_', input: `GH said ${PAT}`, secret: PAT.slice(11), expect: `GH said github_pat_${REDACTED}` },
  { name: 'openai sk-', input: `OpenAI key ${OPENAI} used`, secret: OPENAI.slice(3), expect: `OpenAI key sk-${REDACTED} used` },
  { name: 'anthropic sk-ant-', input: `client(${ANTHROPIC})`, secret: ANTHROPIC.slice(7), expect: `client(sk-ant-${REDACTED})` },
  { name: 'slack token', input: `slack ${SLACK}`, secret: SLACK.slice(5), expect: `slack xoxb-${REDACTED}` },
  { name: 'slack webhook', input: 'POST https://hooks.slack.com/services/T0001/B0002/abcdEFGH1234', secret: 'abcdEFGH1234' },
  { name: 'jwt', input: `session ${JWT} ok`, secret: JWT.split('.')[2]!, expect: 'session [REDACTED_JWT] ok' },
  {
    name: 'private key block',
    input: '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----',
    secret: 'MIIEowIBAAKCAQEA',
    expect: `-----BEGIN RSA PRIVATE KEY-----${REDACTED}-----END RSA PRIVATE KEY-----`,
  },
  { name: 'cut-off private key', input: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk', secret: 'b3BlbnNzaC1rZXk' },
  { name: 'long hex alone', input: `session ${HEX32} created`, secret: HEX32, expect: `session ${REDACTED} created` },
  { name: 'long hex 48', input: `id=${HEX48}`, secret: HEX48 },
  { name: '40-hex after token=', input: `token=${SHA40}`, secret: SHA40, expect: `token=${REDACTED}` },
  { name: '40-hex in env assignment', input: `FLOWFORGE_MASTER=${SHA40}`, secret: SHA40, expect: `FLOWFORGE_MASTER=${REDACTED}` },
  { name: 'base64 secret', input: `blob ${B64} end`, secret: B64, expect: `blob ${REDACTED} end` },
  { name: 'base64url secret', input: `value:${B64URL}`, secret: B64URL },
  { name: 'cookie header', input: 'Cookie: sid=abc123; theme=dark', secret: 'abc123', expect: `Cookie: ${REDACTED}` },
];

const negatives: string[] = [
  'Compiling 42 modules in 1.53s',
  `commit ${SHA40}`,
  `HEAD is now at ${SHA40.slice(0, 7)} fix the build`,
  `${SHA40} refs/heads/main`,
  `GIT_COMMIT=${SHA40}`,
  `Digest: sha256:${rep('3f9a', 16)}`,
  `npm: integrity sha512-${B64}`,
  'request 550e8400-e29b-41d4-a716-446655440000 finished in 12ms',
  '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30',
  'src/components/Dashboard/CpuChartWithTooltip2/index.tsx:17:3',
  `/home/dev/.config/Code/User/workspaceStorage/${HEX32}/state.vscdb`,
  'at Object.<anonymous> (/work/main/server/store/redact.ts:10:5)',
  'Epoch 12/100 loss=0.2345 acc=0.9134 lr=0.001',
  'processed 12345678901234567890123456789012345 rows',
  `test_cache_roundtrip_${SHA40} passed`,
  'ThisIsAVeryLongJavaIdentifierNameForTestingPurposes2 threw',
  'The bearer of bad news arrived',
  'max_tokens=4096 prompt_tokens: 1532',
  'keyboard=us monkey=banana tokenizer=bpe',
  'PWD=/home/dev/project OLDPWD=/home/dev',
  'Press Ctrl+C to stop; see https://example.com/docs?page=2',
  'user@example.com opened a pull request',
  'my-very-long-kebab-case-identifier-name-for-tests ok',
  'mkdir -p build/out && ssh -p 2222 host',
];

describe('shared/redact', () => {
  describe('redact: secrets are removed', () => {
    it('covers at least 30 positive cases', () => assert.ok(positives.length >= 30));
    for (const c of positives) {
      it(c.name, () => {
        const out = redact(c.input);
        assert.ok(!out.includes(c.secret), `secret survived: ${out}`);
        assert.match(out, /\[REDACTED/);
        if (c.expect !== undefined) assert.equal(out, c.expect);
      });
    }
  });

  describe('redact: ordinary text stays readable', () => {
    it('covers at least 15 negative cases', () => assert.ok(negatives.length >= 15));
    for (const text of negatives) it(text.slice(0, 60), () => assert.equal(redact(text), text));
  });

  it('is idempotent on mixed text', () => {
    const pieces = [...positives.map((p) => p.input), ...negatives, ' ', '=', ':', '"', "'", '--', '/', '@', '\n'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 6 }), fc.string(), (parts, noise) => {
        const text = parts.join(' ') + noise;
        const once = redact(text);
        assert.equal(redact(once), once);
      }),
      { numRuns: 400 },
    );
  });

  it('finds random base64 secrets (generic rule) in nearly every case', () => {
    // Deterministic pseudo-random bytes: the generic rule is a heuristic, so assert a rate, not perfection.
    let seed = 12345;
    const next = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 16) & 0xff;
    let missed = 0;
    for (let i = 0; i < 500; i++) {
      const s = Buffer.from(Array.from({ length: 24 + (i % 24) }, next)).toString(i % 2 ? 'base64' : 'base64url');
      if (redact(`x ${s} y`).includes(s)) missed++;
    }
    assert.ok(missed <= 5, `missed ${missed} of 500`);
  });

  describe('redactArgv', () => {
    it('redacts a secret flag value given as the next entry', () => {
      assert.deepEqual(redactArgv(['deploy', '--token', 'abc123', '--env', 'prod']), ['deploy', '--token', REDACTED, '--env', 'prod']);
    });
    it('redacts --flag=value entries', () => {
      assert.deepEqual(redactArgv(['tool', '--password=hunter2']), ['tool', `--password=${REDACTED}`]);
    });
    it('leaves a flag followed by another flag alone', () => {
      assert.deepEqual(redactArgv(['tool', '--token', '--verbose']), ['tool', '--token', '--verbose']);
    });
    it('redacts attached -p only for mysql-like programs', () => {
      assert.deepEqual(redactArgv(['/usr/bin/mysql', '-u', 'root', '-phunter2', 'shop']), ['/usr/bin/mysql', '-u', 'root', `-p${REDACTED}`, 'shop']);
      assert.deepEqual(redactArgv(['mysql', '-p', 'shop']), ['mysql', '-p', 'shop']);
      assert.deepEqual(redactArgv(['ssh', '-p', '2222', 'host']), ['ssh', '-p', '2222', 'host']);
      assert.deepEqual(redactArgv(['mkdir', '-p', 'build']), ['mkdir', '-p', 'build']);
    });
    it('redacts sshpass -p and the password of curl -u', () => {
      assert.deepEqual(redactArgv(['sshpass', '-p', 'hunter2', 'ssh', 'h']), ['sshpass', '-p', REDACTED, 'ssh', 'h']);
      assert.deepEqual(redactArgv(['curl', '-u', 'admin:hunter2', 'https://x']), ['curl', '-u', `admin:${REDACTED}`, 'https://x']);
    });
    it('redacts secrets inside single entries too', () => {
      assert.deepEqual(redactArgv(['sh', '-c', 'API_TOKEN=abc123 ./run']), ['sh', '-c', `API_TOKEN=${REDACTED} ./run`]);
    });
  });

  describe('redactDeep', () => {
    it('redacts strings at any depth and values under secret-named keys', () => {
      const out = redactDeep({
        reason: 'killed: password=hunter2',
        details: { password: 'plain', nested: [{ GITHUB_TOKEN: 'abc' }, `bearer ${B64URL}`], count: 3, tokens: 1532 },
        flag: true,
        none: null,
      });
      assert.deepEqual(out, {
        reason: `killed: password=${REDACTED}`,
        details: { password: REDACTED, nested: [{ GITHUB_TOKEN: REDACTED }, `bearer ${REDACTED}`], count: 3, tokens: 1532 },
        flag: true,
        none: null,
      });
    });
    it('does not change the input', () => {
      const input = { secret: 'x', list: ['token=y'] };
      redactDeep(input);
      assert.deepEqual(input, { secret: 'x', list: ['token=y'] });
    });
  });
});
