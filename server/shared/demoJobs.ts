// The demo's two built-in jobs, as Node programs so the demo needs nothing but
// the Node that runs FlowForge (no Python, no network).

/**
 * An agent stuck in a loop: the same tool call and the same failure at full CPU.
 * Restarted (FLOWFORGE_ATTEMPT > 1), it behaves: real progress, then a clean exit.
 */
export const RUNAWAY_AGENT = String.raw`
const attempt = Number(process.env.FLOWFORGE_ATTEMPT || '1');
const burn = (ms) => { const end = Date.now() + ms; let x = 0; while (Date.now() < end) x = (x * 31 + 7) % 1000003; return x; };
if (attempt === 1) {
  let n = 0;
  const loop = () => {
    for (let k = 0; k < 50; k++) {
      n++;
      console.log('[agent] calling tool read_file {"path":"src/config.ts"} (try ' + n + ')');
      console.log('[agent] tool result: TypeError: cannot read properties of undefined (reading "port")');
    }
    burn(40);
    setImmediate(loop);
  };
  loop();
} else {
  let step = 0;
  const total = 12;
  const tick = () => {
    step++;
    burn(120);
    console.log('[agent] step ' + step + '/' + total + ': applied fix ' + step + ', tests passing ' + (step * 8) + '/' + (total * 8));
    if (step < total) setTimeout(tick, 250);
    else console.log('[agent] all tests pass; done');
  };
  tick();
}
`;

/** A healthy build: a CPU burst over many different files, then a quiet link step. */
export const HEALTHY_BUILD = String.raw`
const crypto = require('crypto');
let i = 0;
const compile = () => {
  i++;
  let h = crypto.createHash('sha256').update(String(i)).digest('hex');
  for (let k = 0; k < 400; k++) h = crypto.createHash('sha256').update(h).digest('hex');
  console.log('compiled src/' + ['api', 'ui', 'core', 'db'][i % 4] + '/module_' + h.slice(0, 8) + '.ts');
  if (i < 60) setTimeout(compile, 60);
  else { console.log('linking bundle...'); setTimeout(() => console.log('build finished: 0 errors'), 1500); }
};
compile();
`;
