/**
 * Seeded generators of code-like text for the benchmark tree. Seeded so that
 * every machine builds the same tree (only the planted keys, which come from
 * the CSPRNG through generateKey, differ), which keeps figures comparable.
 */
import { generateKey, isValidKey } from '../../dist/key-format/key.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** mulberry32: tiny, fast, good enough for test data. */
export function seeded(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (list) => list[int(list.length)];
  const base62 = (length) => {
    let out = '';
    for (let i = 0; i < length; i++) out += BASE62[int(62)];
    return out;
  };
  /** Log-uniform between min and max: many small values, a few large ones, as file sizes are. */
  const logUniform = (min, max) => Math.floor(Math.exp(Math.log(min) + next() * (Math.log(max) - Math.log(min))));
  return { next, int, pick, base62, logUniform };
}

const WORDS = (
  'the of and to in is for on with as by at from this that be are it or an was not can will all has user data value ' +
  'request response error result config client server token auth session cache queue worker item list map set key ' +
  'index count size length buffer stream file path name type id status code message event handler callback promise ' +
  'async await load save read write open close start stop init update delete create fetch send parse render format ' +
  'model region endpoint timeout retry limit offset page query filter sort order group total options params headers ' +
  'body json text html url host port account project billing usage inference gpu cluster node pod deploy build test'
).split(' ');

// Words that share letters with the keyword, so that a search for `neev_` meets its near relatives.
const NEEV_IDENTIFIERS = [
  'neev',
  'neevCloud',
  'neevClient',
  'NEEV_REGION',
  'neev_region',
  'neev_sdk_version',
  'getNeevToken',
  'NEEVCLOUD_URL',
  'neevcloud',
];

const MODULES = ['fs', 'path', 'http', 'crypto', 'events', './util', '../config', '@neevcloud/sdk', 'lodash', 'express', 'react', 'zod'];

/**
 * Strings that look like keys but are not: a wrong checksum, too short, too
 * long, glued to a longer token, or upper case. Most have the `neev_`
 * keyword, so they reach the regex and the checksum, which is the slow path.
 */
export function nearMiss(r) {
  switch (r.int(6)) {
    case 0:
    case 1: {
      for (;;) {
        const candidate = 'neev_' + r.base62(38);
        if (!isValidKey(candidate)) return candidate;
      }
    }
    case 2:
      return 'neev_' + r.base62(20 + r.int(18));
    case 3:
      return 'neev_' + r.base62(39 + r.int(6));
    case 4:
      return r.pick(['x', 'my', '_', '9']) + generateKey(); // a valid checksum, glued to a longer token
    default:
      return r.pick(['NEEV_', 'Neev_', 'neev-']) + r.base62(38);
  }
}

export function makeWords(r) {
  const word = () => r.pick(WORDS);
  const words = (n) => Array.from({ length: n }, word).join(' ');
  const camel = () => {
    const parts = [word(), word(), ...(r.int(2) ? [word()] : [])];
    return parts.map((p, i) => (i ? p[0].toUpperCase() + p.slice(1) : p)).join('');
  };
  const snake = () => [word(), word()].join('_');
  const upper = () => snake().toUpperCase();
  const ident = () => (r.int(400) === 0 ? r.pick(NEEV_IDENTIFIERS) : camel());
  return { word, words, camel, snake, upper, ident };
}

/** A pool of lines in one language; files are drawn from it so that building a gigabyte stays fast. */
export function linePool(r, kind, count) {
  const w = makeWords(r);
  const num = () => String(r.int(100000));
  const str = () => (r.int(1200) === 0 ? nearMiss(r) : w.words(1 + r.int(4)));
  const makers = {
    js: [
      () => `const ${w.ident()} = require('${r.pick(MODULES)}');`,
      () => `function ${w.ident()}(${w.ident()}, ${w.ident()}) {`,
      () => `  return ${w.ident()}.${w.camel()}(${num()}, '${str()}');`,
      () => `  if (${w.ident()} === null) throw new Error('${w.words(5)}');`,
      () => `  const ${w.ident()} = await ${w.ident()}.${w.camel()}({ ${w.word()}: ${num()}, ${w.word()}: '${str()}' });`,
      () => `// ${w.words(6 + r.int(8))}`,
      () => '}',
      () => '',
    ],
    ts: [
      () => `import { ${w.ident()}, ${w.ident()} } from '${r.pick(MODULES)}';`,
      () => `export async function ${w.ident()}(${w.ident()}: ${r.pick(['string', 'number', 'Buffer', 'Options'])}): Promise<void> {`,
      () => `  const ${w.ident()}: ${r.pick(['string', 'number', 'boolean'])} = ${w.ident()}.${w.camel()} ?? '${str()}';`,
      () => `  for (const ${w.word()} of ${w.ident()}) ${w.ident()}.push(${w.word()}.${w.word()});`,
      () => `export interface ${w.camel()} { ${w.word()}: string; ${w.word()}?: number }`,
      () => `  /** ${w.words(8)} */`,
      () => '}',
      () => '',
    ],
    py: [
      () => `import ${r.pick(['os', 'sys', 'json', 'requests', 'neevcloud', 'typing'])}`,
      () => `def ${w.snake()}(${w.snake()}, ${w.word()}=None):`,
      () => `    return ${w.snake()}.${w.snake()}(${num()}, "${str()}")`,
      () => `    if ${w.snake()} is None:`,
      () => `        raise ValueError("${w.words(5)}")`,
      () => `# ${w.words(8)}`,
      () => '',
    ],
    json: [
      () => `  "${w.ident()}": "${str()}",`,
      () => `  "${w.camel()}": ${num()},`,
      () => `  "${w.word()}": [${num()}, ${num()}, ${num()}],`,
      () => `  "${w.camel()}": { "${w.word()}": true, "${w.word()}": "${w.words(2)}" },`,
    ],
    md: [
      () => `${w.words(10 + r.int(12))}.`,
      () => `## ${w.words(3)}`,
      () => `- ${w.words(6)} \`${w.ident()}\``,
      () => `    ${w.ident()}.${w.camel()}('${str()}')`,
      () => '',
    ],
    env: [() => `${w.upper()}=${w.word()}`, () => `${w.upper()}=${num()}`, () => `${w.upper()}="${str()}"`, () => `# ${w.words(5)}`],
    log: [
      () =>
        `2026-11-26T13:${pad(r.int(60))}:${pad(r.int(60))}.${r.int(1000)}Z INFO [${w.word()}] request id=${r.base62(16)} path=/v1/${w.word()}/${w.word()} status=200 dur=${r.int(900)}ms`,
      () => `2026-11-26T13:${pad(r.int(60))}:${pad(r.int(60))}.${r.int(1000)}Z WARN [${w.word()}] ${w.words(6)} retry=${r.int(5)}`,
      () =>
        `2026-11-26T13:${pad(r.int(60))}:${pad(r.int(60))}.${r.int(1000)}Z DEBUG [${w.word()}] ${w.camel()}=${num()} ${w.camel()}="${str()}"`,
    ],
    // Minified bundles: fragments joined on one long line.
    minjs: [
      () => `function ${r.pick('abcdefgh'.split(''))}(t,e){return t.${w.camel()}(e,${num()})}`,
      () => `var ${r.pick('nrstuvw'.split(''))}=${num()},${r.pick('xyz'.split(''))}="${str()}"`,
      () => `${r.pick('abc'.split(''))}.${w.camel()}=function(){return this.${w.word()}||"${w.words(3)}"}`,
      () => `if(${r.pick('ei'.split(''))}&&${r.pick('ei'.split(''))}.${w.word()})throw new Error("${w.words(4)}\\n${w.words(2)}")`,
    ],
  };
  const list = makers[kind];
  return Array.from({ length: count }, () => r.pick(list)());
}

function pad(n) {
  return String(n).padStart(2, '0');
}

/** Text of about `size` UTF-16 units from a pool, joined by `separator`. */
export function fill(r, pool, size, separator = '\n') {
  const parts = [];
  let length = 0;
  while (length < size) {
    const line = r.pick(pool);
    parts.push(line);
    length += line.length + separator.length;
  }
  return parts.join(separator) + '\n';
}

/**
 * Inserts `before + key + after` into the text near `fraction` of it, as a line
 * of its own (`inline` false) or in the middle of a line, and returns where
 * the key lands: 1-based line and UTF-16 column, as neevscan reports them.
 */
export function plant(text, fraction, before, key, after, inline = false) {
  let at = Math.floor(text.length * fraction);
  if (!inline) {
    at = text.indexOf('\n', at);
    at = at === -1 ? text.length : at + 1;
  }
  const head = text.slice(0, at);
  let line = 1;
  for (let i = head.indexOf('\n'); i !== -1; i = head.indexOf('\n', i + 1)) line++;
  const column = head.length - (head.lastIndexOf('\n') + 1) + before.length + 1;
  return { text: head + before + key + after + (inline ? '' : '\n') + text.slice(at), line, column };
}
