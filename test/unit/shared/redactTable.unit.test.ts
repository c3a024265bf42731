import assert from 'node:assert/strict';
import { redact, redactArgv, REDACTED } from '../../../server/shared/redact';

// Realistic lines as they show up in job output, argv and env, one per form a
// secret takes. Each positive names the secret text that must be gone and the
// evidence around it that must stay readable; each negative must come out
// unchanged. Secrets are assembled at run time so no real-looking token sits
// in the repo.
const rep = (s: string, n: number) => s.repeat(n);
const body = (n: number) => rep('aZ3kQ9xW7mP2', 12).slice(0, n);
const HEX32 = '9f3c2a7be41d08c65f7a2e9d1b4c8a03';
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SHA64 = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const SHA40 = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const B64_88 = `${rep('Qk9yN3pXcE1sa2Jm', 5)}dGhpc2lzYWtleTE=`;
const B64_44 = 'c2VjcmV0LWtleS1mb3Itc2VydmljZS1idXM5OTk=';

interface Positive {
  /** The line as a job, a shell or a config file would print it. */
  input: string;
  /** Text that must not survive. */
  secrets: string[];
  /** Evidence around the secret that must survive. */
  keep?: string[];
  /** The exact expected output, where it matters. */
  expect?: string;
}

const P = (input: string, secrets: string | string[], keep: string[] = [], expect?: string): Positive => ({
  input,
  secrets: Array.isArray(secrets) ? secrets : [secrets],
  keep,
  expect,
});

const positives: Record<string, Positive[]> = {
  'command lines': [
    P('mysql -u root -pS3cretPw shop', 'S3cretPw', ['mysql -u root -p', 'shop'], `mysql -u root -p${REDACTED} shop`),
    P('mysqldump --user=app --password=S3cretPw appdb > dump.sql', 'S3cretPw', ['--user=app', 'dump.sql']),
    P("mariadb -h db -u app -p'Pa55 word' appdb", 'Pa55 word', ['mariadb -h db -u app', 'appdb']),
    P("sshpass -p 'hunter2!' ssh deploy@10.0.0.5 uptime", 'hunter2!', ['ssh deploy@10.0.0.5 uptime']),
    P('docker login -u ci-bot -p dckrPass123 registry.example.com', 'dckrPass123', ['-u ci-bot', 'registry.example.com'], `docker login -u ci-bot -p ${REDACTED} registry.example.com`),
    P('docker login --username ci --password Xy9pass registry.gitlab.com', 'Xy9pass', ['--username ci', 'registry.gitlab.com']),
    P('podman login -p Xy9pass quay.io', 'Xy9pass', ['quay.io']),
    P('redis-cli -h cache -a R3disPass ping', 'R3disPass', ['-h cache', 'ping'], `redis-cli -h cache -a ${REDACTED} ping`),
    P("redis-cli --pass R3disPass -n 2 keys '*'", 'R3disPass', ['-n 2 keys']),
    P('openssl pkcs12 -export -in cert.pem -passout pass:Exp0rtPw -out c.p12', 'Exp0rtPw', ['cert.pem', '-passout pass:', 'c.p12']),
    P('openssl rsa -in key.pem -passin pass:S3cr3t -out plain.pem', 'S3cr3t', ['key.pem', 'plain.pem']),
    P('openssl enc -aes-256-cbc -k EncPass99 -in a.txt -out b.enc', 'EncPass99', ['-aes-256-cbc', 'a.txt', 'b.enc']),
    P('htpasswd -b .htpasswd alice Alic3Pw', 'Alic3Pw', ['.htpasswd alice'], `htpasswd -b .htpasswd alice ${REDACTED}`),
    P('htpasswd -nb bob B0bPw', 'B0bPw', ['-nb bob']),
    P('htpasswd -cbB /etc/nginx/.htpasswd carol C4rolPw', 'C4rolPw', ['/etc/nginx/.htpasswd carol']),
    P('htpasswd -b .htpasswd dave hunter', 'hunter', ['.htpasswd dave']),
    P('tool --pass hunter2 --verbose', 'hunter2', ['--pass', '--verbose'], `tool --pass ${REDACTED} --verbose`),
    P('sync --pass hunter --dry-run', 'hunter', ['--dry-run']),
    P('backup --pwd Sup3r! --dir /srv', 'Sup3r!', ['--dir /srv']),
    P('app --api-key AbC123xYz run', 'AbC123xYz', ['app --api-key', 'run']),
    P('cli --client-secret=cs_9x8y7z --tenant t1', 'cs_9x8y7z', ['--tenant t1']),
    P('curl --user deploy:Pa55w0rd https://ci.example.com/api', 'Pa55w0rd', ['deploy:', 'https://ci.example.com/api']),
    P("curl -b 'session=abc123def; csrftoken=xyz789' https://app.example.com/", ['abc123def', 'xyz789'], ['https://app.example.com/']),
    P('curl --cookie "sid=Zz9Yy8Xx7" https://app.example.com', 'Zz9Yy8Xx7', ['https://app.example.com']),
    P('curl --oauth2-bearer ya29tok3nvalue https://api.example.com', 'ya29tok3nvalue', ['https://api.example.com']),
    P('mongosh -u admin -p M0ngoPw --authenticationDatabase admin', 'M0ngoPw', ['--authenticationDatabase admin']),
    P('sqlcmd -S db -U sa -P SqlPa55 -Q "select 1"', 'SqlPa55', ['-U sa', 'select 1']),
    P('ldapsearch -x -D cn=admin,dc=example -w LdapPw1 -b dc=example', 'LdapPw1', ['cn=admin,dc=example', '-b dc=example']),
    P('zip -P ZipPw123 out.zip report.txt', 'ZipPw123', ['out.zip report.txt']),
    P('7z a -pSevenPw9 backup.7z data/', 'SevenPw9', ['backup.7z data/']),
    P("ssh-keygen -t ed25519 -N 'K3yPass' -f id_ed25519", 'K3yPass', ['-f id_ed25519']),
    P('keytool -importkeystore -srckeystore a.jks -srcstorepass St0rePw -deststorepass D3stPw', ['St0rePw', 'D3stPw'], ['a.jks']),
    P('smbclient //fs/share -U alice%SmbPw1 -c ls', 'SmbPw1', ['//fs/share', 'alice%']),
    P('sqlplus scott/Tig3r@orcl @report.sql', 'Tig3r', ['scott/', '@orcl']),
    P('aws configure set aws_secret_access_key wJalrXUtnFEMIK7MDENG', 'wJalrXUtnFEMIK7MDENG', ['aws configure set aws_secret_access_key']),
    P('az login -u me@example.com -p AzPassw0rd', 'AzPassw0rd', ['me@example.com']),
    P('sh -c "mysql -pInner9 appdb"', 'Inner9', ['appdb']),
    P('wget --http-password=WgetPw1 https://files.example.com/a.tgz', 'WgetPw1', ['https://files.example.com/a.tgz']),
    P('gpg --batch --passphrase Gpg9Phrase -d secrets.gpg', 'Gpg9Phrase', ['secrets.gpg']),
    P('java -Djavax.net.ssl.keyStorePassword=Ks9pw -jar app.jar', 'Ks9pw', ['-jar app.jar']),
  ],
  'environment and config': [
    P('db_pass=hunter2x ./migrate', 'hunter2x', ['./migrate'], `db_pass=${REDACTED} ./migrate`),
    P('DB_PASS=hunter2 node server.js', 'hunter2', ['node server.js']),
    P('MYSQL_PWD=S3cr3t mysql -u root', 'S3cr3t', ['mysql -u root']),
    P("export PGPASSWORD='pg pass'", 'pg pass', ['export PGPASSWORD='], `export PGPASSWORD='${REDACTED}'`),
    P('GITHUB_TOKEN=abc123 npm publish', 'abc123', ['npm publish']),
    P('export OPENAI_KEY=short12', 'short12', ['OPENAI_KEY=']),
    P('spring.datasource.password=Spr1ngPw', 'Spr1ngPw', ['spring.datasource.password=']),
    P('dbPassword: "camelPw1"', 'camelPw1', ['dbPassword'], `dbPassword: "${REDACTED}"`),
    P('{"clientSecret":"cs-123","tenant":"t1"}', 'cs-123', ['"tenant":"t1"']),
    P('apiKey=ab12', 'ab12', ['apiKey=']),
    P('api_key: x7Kp2', 'x7Kp2', ['api_key:']),
    P('X-API-Key: k3y', 'k3y', ['X-API-Key:']),
    P('secret=z', 'z', ['secret='], `secret=${REDACTED}`),
    P('password: correct horse battery staple', 'horse battery staple', ['password:'], `password: ${REDACTED}`),
    P('  password: hunter2  # prod', 'hunter2', ['  password:']),
    P('auth: Zm9vOmJhcg==', 'Zm9vOmJhcg==', ['auth:']),
    P('//registry.npmjs.org/:_authToken=abc123def', 'abc123def', ['//registry.npmjs.org/:_authToken=']),
    P('_auth=YWxpY2U6cGFzcw==', 'YWxpY2U6cGFzcw==', ['_auth=']),
    P('credentials=AKIDabc:secret9', 'AKIDabc:secret9', ['credentials=']),
    P('Driver={ODBC Driver 18 for SQL Server};Server=db;Uid=sa;Pwd=0dbcPw;', '0dbcPw', ['Server=db', 'Uid=sa']),
    P('Server=db;UID=sa;PWD={pa;ss w0rd};Database=app', 'pa;ss w0rd', ['UID=sa', 'Database=app']),
    P('Server=tcp:db,1433;User ID=app;Password=NetPw1;Encrypt=True', 'NetPw1', ['User ID=app', 'Encrypt=True']),
    P(`DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${B64_88};EndpointSuffix=core.windows.net`, B64_88, ['AccountName=acct', 'EndpointSuffix=core.windows.net']),
    P(`Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=${B64_44}`, B64_44, ['SharedAccessKeyName=Root']),
    P('machine api.example.com login bob password s3cr3t', 's3cr3t', ['machine api.example.com login bob password']),
    P('machine github.com login bob password hunter', 'hunter', ['login bob']),
    P('db.example.com:5432:appdb:bob:Pg9assword', 'Pg9assword', ['db.example.com:5432:appdb:bob:']),
    P('*:*:*:postgres:superSecret', 'superSecret', ['postgres:']),
    P('PGPASSWORD=a1b2 MYSQL_PWD=c3d4 ./migrate', ['a1b2', 'c3d4'], ['./migrate']),
    P(`SECRET_KEY_BASE=${SHA64}${SHA64}`, SHA64, ['SECRET_KEY_BASE=']),
    P("DJANGO_SECRET_KEY='django-insecure-8f$k2m'", 'django-insecure-8f$k2m', ['DJANGO_SECRET_KEY=']),
    P('password=[hunter2]', 'hunter2', [], `password=${REDACTED}`),
    P('pass=a[b]c9 next', 'a[b]c9', ['next'], `pass=${REDACTED} next`),
    P('{"password":"with \\"quoted\\" part","user":"u"}', ['with', 'quoted', 'part'], ['"user":"u"']),
    P('password hunter2', 'hunter2', ['password']),
    P('the API key is 3f9a2c1b7d', '3f9a2c1b7d', ['the API key is']),
    P('Using token ab12cd34 for upload', 'ab12cd34', ['for upload']),
    P('ENV SECRET_TOKEN=Sh4red!9 RUN make', 'Sh4red!9', ['RUN make']),
    P('vault login -method=userpass username=ops password=V4ultPw', 'V4ultPw', ['username=ops']),
    P('kubectl create secret generic db --from-literal=password=K8sPw9', 'K8sPw9', ['generic db']),
  ],
  urls: [
    P('postgres://app:p@ss/w#rd@db.internal:5432/app', 'p@ss/w#rd', ['postgres://app:', '@db.internal:5432/app']),
    P('mongodb+srv://u:Pa:ss@cluster0.example.net/db', 'Pa:ss', ['mongodb+srv://u:', 'cluster0.example.net/db']),
    P('redis://:R3dis@cache:6379/0', 'R3dis', ['cache:6379/0']),
    P('amqp://guest:gu#est@rabbit/', 'gu#est', ['amqp://guest:', '@rabbit/']),
    P('https://user:pa55@host.example.com/@scope/pkg', 'pa55', ['host.example.com/@scope/pkg']),
    P(`git clone https://oauth2:glpat-${body(20)}@gitlab.com/g/r.git`, body(20), ['@gitlab.com/g/r.git']),
    P(`git clone https://x-access-token:ghs_${body(36)}@github.com/o/r`, body(36), ['@github.com/o/r']),
    P('{"dsn":"mysql://root:MyPw1@db/app"}', 'MyPw1', ['mysql://root:', '@db/app"}']),
    P('cloning https://bob:pa55w0rd@git.example.com/repo.git', 'pa55w0rd', [], `cloning https://bob:${REDACTED}@git.example.com/repo.git`),
    P(`https://acct.blob.core.windows.net/c/b.txt?sv=2022-11-02&ss=b&sp=r&se=2026-01-01&sig=AbC%2Fdef${HEX32.slice(0, 8)}%3D`, `AbC%2Fdef${HEX32.slice(0, 8)}%3D`, ['sv=2022-11-02', 'acct.blob.core.windows.net', '&sig=']),
    P(`https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260101T000000Z&X-Amz-Signature=${SHA64}`, SHA64, ['X-Amz-Algorithm=AWS4-HMAC-SHA256']),
    P('GET /cb?state=1&access_token=abc.def.ghi&x=2', 'abc.def.ghi', ['state=1', '&x=2']),
  ],
  cookies: [
    P('Cookie: sid=abc123; theme=dark', ['abc123', 'theme=dark'], ['Cookie:'], `Cookie: ${REDACTED}`),
    P('set-cookie: session=s3ss10nval; Path=/; HttpOnly', 's3ss10nval', ['set-cookie:']),
    P('{"cookie": "sid=abc123def"}', 'abc123def', ['"cookie":'], `{"cookie": "${REDACTED}"}`),
    P('{"cookies":"a=b9c8"}', 'b9c8', ['"cookies":']),
    P('document.cookie = "token=abc123"', 'abc123', ['document.cookie']),
    P("requests.get(url, cookies={'sessionid': 'Dj4ngoS3ss'})", 'Dj4ngoS3ss', ['requests.get(url, cookies=']),
    P('csrftoken=Xs9rFt0k; Path=/', 'Xs9rFt0k', ['Path=/']),
  ],
  'known token formats': [
    P(`runner registered with glrt-${body(20)}`, body(20), ['runner registered with glrt-']),
    P(`deploy token gldt-${body(20)} created`, body(20), ['gldt-', 'created']),
    P(`trigger glptt-${body(40)}`, body(40), ['glptt-']),
    P(`REGISTRATION_TOKEN=GR1348941${body(20)}`, body(20), ['REGISTRATION_TOKEN=']),
    P(`AZURE_CLIENT_SECRET=abc8Q~${body(34)}`, body(34), ['AZURE_CLIENT_SECRET=']),
    P(`client secret: Xy_7Q~${body(31)} (expires 2027)`, body(31), ['(expires 2027)']),
    P(`bot.run("MTA${body(23)}.G${body(5)}.${body(38)}")`, [body(23), body(38)], ['bot.run(']),
    P(`DISCORD_TOKEN=NzE${body(21)}.Xa${body(4)}.${body(27)}`, body(27), ['DISCORD_TOKEN=']),
    P(`//registry.npmjs.org/:_authToken=npm_${body(36)}`, body(36), ['npm_']),
    P(`TWINE_PASSWORD=pypi-AgEIcHlwaS5vcmc${body(60)}`, body(60), ['TWINE_PASSWORD=']),
    P(`huggingface-cli login --token hf_${body(34)}`, body(34), ['huggingface-cli login --token']),
    P(`docker login -u me --password-stdin <<< dckr_pat_${body(27)}`, body(27), ['--password-stdin']),
    P(`VAULT_TOKEN=hvs.${body(90)}`, body(90), ['VAULT_TOKEN=']),
    P(`maps key AIza${body(35)} loaded`, body(35), ['loaded']),
    P(`SENDGRID=SG.${body(22)}.${body(43)}`, [body(22), body(43)], ['SENDGRID=']),
    P(`stripe.api_key = "sk_live_${body(24)}"`, body(24), ['stripe.api_key']),
    P(`bot 123456789:AA${body(33)} started`, body(33), ['started']),
    P(`POST https://discord.com/api/webhooks/123456789012345678/${body(68)}`, body(68), ['https://discord.com/api/webhooks/123456789012345678/']),
    P(`POST https://hooks.slack.com/services/T0001/B0002/${body(24)}`, body(24), ['https://hooks.slack.com/services/']),
    P(`OpenAI key sk-proj-${body(40)} used`, body(40), ['OpenAI key', 'used']),
    P(`oauth client GOCSPX-${body(28)}`, body(28), ['oauth client']),
    P(`SHOPIFY=shpat_${HEX32}`, HEX32, ['SHOPIFY=']),
    P(`slack xoxb-123456789012-${body(24)}`, body(24), ['slack xoxb-']),
    P(`aws_access_key_id AKIAZ7QW3ERT5YUI2OPL`, 'Z7QW3ERT5YUI2OPL', ['aws_access_key_id AKIA']),
    P(`session eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.${body(43)} ok`, body(43), ['session', 'ok']),
  ],
  headers: [
    P('Authorization: Token 9f8e7d6c', '9f8e7d6c', [], `Authorization: Token ${REDACTED}`),
    P('Proxy-Authorization: Basic dXNlcjpwYXNz', 'dXNlcjpwYXNz', [], `Proxy-Authorization: Basic ${REDACTED}`),
    P('curl -H "X-Auth-Token: abc123" https://api.example.com', 'abc123', ['https://api.example.com']),
    P('{"Authorization": "Bearer abc.def.ghi"}', 'abc.def.ghi', ['"Authorization":']),
    P('git -c http.extraHeader="AUTHORIZATION: basic Zm9vOmJhcg==" clone https://x/r', 'Zm9vOmJhcg==', ['clone https://x/r']),
    P('headers: {"x-api-key": "k-12345"}', 'k-12345', ['"x-api-key":']),
    P('PRIVATE-TOKEN: Xy12zz34', 'Xy12zz34', ['PRIVATE-TOKEN:']),
  ],
  generic: [
    P(`session ${HEX32} created`, HEX32, ['session', 'created'], `session ${REDACTED} created`),
    P(`blob ${B64_44} end`, B64_44, ['blob', 'end']),
    P('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA', 'b3BlbnNzaC1rZXktdjEAAAA', ['BEGIN OPENSSH PRIVATE KEY']),
    P(`HMAC_SALT="${HEX32}"`, HEX32, ['HMAC_SALT=']),
    P(`token=${SHA40}`, SHA40, [], `token=${REDACTED}`),
  ],
};

const negatives: Record<string, string[]> = {
  'ids and digests': [
    `trace_id=${TRACE} span_id=00f067aa0ba902b7`,
    `traceparent: 00-${TRACE}-00f067aa0ba902b7-01`,
    `{"traceId":"${TRACE}","level":"info"}`,
    `X-Request-ID: ${HEX32}`,
    `"requestId": "${HEX32}"`,
    `job_id=${HEX32} queued`,
    `correlation-id ${HEX32}`,
    'golang.org/x/text v0.3.7 h1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk=',
    'golang.org/x/text v0.3.7/go.mod h1:u+2+/6zg+i71rQMx5EYifcz6MCKuco9NR6JIITiCfzQ=',
    'd41d8cd98f00b204e9800998ecf8427e  empty.txt',
    'MD5 (file.txt) = d41d8cd98f00b204e9800998ecf8427e',
    `${SHA64}  release.tar.gz`,
    `image: nginx@sha256:${SHA64}`,
    'ETag: "33a64df551425fcc55e4d42a148795d9"',
    `container ${SHA64} started`,
    `commit ${SHA40}`,
    `GIT_COMMIT=${SHA40}`,
    'request 550e8400-e29b-41d4-a716-446655440000 finished in 12ms',
    `npm: integrity sha512-${B64_88}`,
  ],
  'names that are not secrets': [
    'key: app.kubernetes.io/name',
    '  - key: app.kubernetes.io/instance',
    'sort --key 2 -n data.txt',
    'sort -t, --key=3 file.csv',
    'auth=ok',
    'auth: none',
    'PWD=/home/dev/project OLDPWD=/home/dev',
    'password: ${DB_PASSWORD}',
    'token: <your-token-here>',
    'secret: false',
    'token=null',
    'max_tokens=4096 prompt_tokens: 1532',
    'keyboard=us monkey=banana tokenizer=bpe',
    'bypass=1 compass=north',
    'primary_key=id',
    'pass: 12 fail: 0',
    '--key-file ~/.ssh/id_ed25519',
    'secretName: tls-cert',
    '  secretKeyRef:',
    'token_type=bearer expires_in=3600',
    'password_min_length=12',
    "ERROR 1045 (28000): Access denied for user 'root'@'localhost' (using password: YES)",
    'auth-type=legacy',
    'SSH_AUTH_SOCK=/tmp/ssh-XXXX/agent.123',
    'AWS_REGION=us-east-1 KUBECONFIG=/home/dev/.kube/config',
    'std::string token::Lexer::next()',
    'api_key: ${{ secrets.API_KEY }}',
    'password: {{ .Values.db.password }}',
  ],
  'commands that are not secrets': [
    'docker run -p 8080:80 nginx',
    'ssh -p 2222 deploy@host',
    'mysql -p shop',
    'redis-cli -h cache ping',
    'openssl req -passin env:PASSPHRASE -in a.csr',
    'openssl enc -kfile key.txt -in a.txt',
    'htpasswd -D .htpasswd alice',
    'curl -b cookies.txt https://example.com',
    'curl -u admin https://example.com',
    'mkdir -p build/out && ssh -p 2222 host',
    'pytest -k test_token_refresh',
    'kubectl get secret my-secret -o yaml',
    'sqlplus /nolog',
    'tool --token --verbose',
    'git log --format=%H --author=alice',
  ],
  prose: [
    'The bearer of bad news arrived',
    'See RFC 6750 for Bearer usage',
    'token expired, refreshing',
    'password reset for user42',
    'Invalid password',
    'Set password for user alice? [y/N]',
    'Tests: 5 passed, 0 failed',
    'user@example.com opened a pull request',
    'Compiling 42 modules in 1.53s',
  ],
  'paths and urls': [
    'http://localhost:8080/health',
    'https://registry.npmjs.org/@types/node',
    'https://example.com:8443/users/bob@example.com',
    'user@host:~/project$ ls',
    '12:34:56:78:90:ab',
    '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30',
    'node_modules/.pnpm/@babel+core@7.24.0/node_modules/@babel/core/lib/index.js',
    '2026-01-01T12:30:45.123Z INFO server listening on :8080',
    'python -m pip install --index-url https://pypi.org/simple requests',
  ],
};

/** `[` and `]` balance: redaction must never leave a stray `]` (the old `[REDACTED]]`). */
function bracketDepthOk(s: string): boolean {
  let depth = 0;
  for (const c of s) {
    if (c === '[') depth++;
    else if (c === ']' && --depth < 0) return false;
  }
  return depth === 0;
}

const allPositives = Object.values(positives).flat();
const allNegatives = Object.values(negatives).flat();

describe('redaction table', () => {
  it('has at least 120 positive and 60 negative cases', () => {
    assert.ok(allPositives.length >= 120, `${allPositives.length} positives`);
    assert.ok(allNegatives.length >= 60, `${allNegatives.length} negatives`);
  });

  for (const [group, cases] of Object.entries(positives)) {
    describe(`secrets are removed: ${group}`, () => {
      for (const c of cases) {
        it(c.input.slice(0, 80), () => {
          const out = redact(c.input);
          for (const s of c.secrets) assert.ok(!out.includes(s), `secret "${s}" survived: ${out}`);
          assert.match(out, /\[REDACTED/);
          for (const k of c.keep ?? []) assert.ok(out.includes(k), `evidence "${k}" lost: ${out}`);
          if (c.expect !== undefined) assert.equal(out, c.expect);
          assert.equal(redact(out), out, 'a second pass changes nothing');
          if (bracketDepthOk(c.input)) assert.ok(bracketDepthOk(out), `unbalanced brackets: ${out}`);
          assert.ok(!out.includes(`${REDACTED}]`) || c.input.includes(']]') || /\[[^\]]*$/.test(out.slice(0, out.indexOf(`${REDACTED}]`))), `stray bracket: ${out}`);
        });
      }
    });
  }

  for (const [group, lines] of Object.entries(negatives)) {
    describe(`evidence stays readable: ${group}`, () => {
      for (const line of lines) it(line.slice(0, 80), () => assert.equal(redact(line), line));
    });
  }

  describe('no doubled bracket', () => {
    const cases: [string, string][] = [
      ['password=[hunter2]', `password=${REDACTED}`],
      ['token=[abc', `token=${REDACTED}`],
      ['[token=abc123]', `[token=${REDACTED}]`],
      ['args: [--password, hunter2]', `args: [--password, hunter2]`.replace('hunter2', 'hunter2')],
      ['key=a1]b', `key=${REDACTED}]b`],
      ['{"token": ["abc", "def"]}', `{"token": ${REDACTED}}`],
    ];
    for (const [input, expected] of cases) {
      it(input, () => {
        const out = redact(input);
        assert.ok(!out.includes(`${REDACTED}]]`), out);
        if (input !== 'args: [--password, hunter2]') assert.equal(out, expected);
      });
    }
  });

  describe('argv', () => {
    const argvCases: [string[], string[]][] = [
      [['docker', 'login', '-u', 'ci', '-p', 'dckrPass1', 'registry.example.com'], ['docker', 'login', '-u', 'ci', '-p', REDACTED, 'registry.example.com']],
      [['docker', 'run', '-p', '8080:80', 'nginx'], ['docker', 'run', '-p', '8080:80', 'nginx']],
      [['redis-cli', '-a', 'R3dis', 'ping'], ['redis-cli', '-a', REDACTED, 'ping']],
      [['openssl', 'rsa', '-passin', 'pass:S3cr3t', '-in', 'k.pem'], ['openssl', 'rsa', '-passin', `pass:${REDACTED}`, '-in', 'k.pem']],
      [['openssl', 'rsa', '-passin', 'env:PW', '-in', 'k.pem'], ['openssl', 'rsa', '-passin', 'env:PW', '-in', 'k.pem']],
      [['htpasswd', '-b', 'f', 'alice', 'Alic3Pw'], ['htpasswd', '-b', 'f', 'alice', REDACTED]],
      [['/usr/bin/curl', '-b', 'sid=abc123', 'https://x'], ['/usr/bin/curl', '-b', REDACTED, 'https://x']],
      [['tool', '--pass', 'hunter', '--pwd', '/srv'], ['tool', '--pass', REDACTED, '--pwd', '/srv']],
      [['sort', '--key', '2', 'f'], ['sort', '--key', '2', 'f']],
      [['app', '--api-key', 'a b c'], ['app', '--api-key', REDACTED]],
      [['sqlplus', 'scott/Tig3r@orcl'], ['sqlplus', `scott/${REDACTED}@orcl`]],
      [['smbclient', '//fs/s', '-U', 'alice%Pw1'], ['smbclient', '//fs/s', '-U', `alice%${REDACTED}`]],
    ];
    for (const [argv, expected] of argvCases) it(argv.join(' '), () => assert.deepEqual(redactArgv(argv), expected));
  });
});
