import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type RE2 from 're2';
import { NeevscanError } from '../errors.js';
import type { CompiledRule, RuleSpec } from './types.js';
import { VALIDATORS } from './validators.js';
import { checkExamples } from './check.js';
import { mark } from '../util/marks.js';

/** The rules that ship with neevscan. */
export const BUILTIN_RULES_DIR = fileURLToPath(new URL('../../rules/', import.meta.url));

/**
 * The built-in rules as `npm run build` leaves them: parsed and checked against
 * their examples once, at build time (scripts/compile-rules.mjs), so that a
 * pre-commit scan starts without the YAML parser or the self-check.
 */
export const BUILTIN_RULES_JSON = fileURLToPath(new URL('./builtin-rules.json', import.meta.url));

// The YAML parser loads only when a rule file is read as YAML (user rules, or the built-ins before a build).
// Errors throw; warnings (odd aliases, tags) are not printed, since a scan's stderr carries one clear line or none.
const parseYaml = (text: string): unknown =>
  (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text, { logLevel: 'error' });

// re2 (a large native addon) loads when a regex is first compiled: the built-in rules' regexes compile when a
// keyword first hits (see prebuiltRule), so a staged change without one never loads it.
let re2Class: typeof RE2 | undefined;
const re2 = (): typeof RE2 => {
  if (re2Class) return re2Class;
  mark('re2-load');
  re2Class = createRequire(import.meta.url)('re2') as typeof RE2;
  mark('re2-loaded');
  return re2Class;
};

const DEFAULT_WINDOW = 256;
const MAX_WINDOW = 64 * 1024;
const ID = /^[a-z0-9][a-z0-9._-]{0,99}$/;

function fail(file: string, rule: string | undefined, message: string): never {
  throw new NeevscanError(`rule file ${file}${rule ? `, rule ${rule}` : ''}: ${message}`, 'bad-rule');
}

function stringList(value: unknown, file: string, id: string, field: string, required: boolean): string[] {
  if (value === undefined && !required) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0)) {
    fail(file, id, `\`${field}\` must be a list of non-empty strings`);
  }
  return value as string[];
}

/** Checks one rule's fields and returns it typed; every message names the file and the rule. */
export function validateSpec(raw: unknown, file: string, index: number): RuleSpec {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(file, `#${index + 1}`, 'a rule must be a mapping');
  const r = raw as Record<string, unknown>;
  const id = typeof r.id === 'string' ? r.id : `#${index + 1}`;
  if (typeof r.id !== 'string' || !ID.test(r.id)) fail(file, id, '`id` must be lower-case letters, digits, `.`, `_` or `-`');
  const known = new Set([
    'id',
    'description',
    'keywords',
    'pattern',
    'secretGroup',
    'boundary',
    'validator',
    'window',
    'remediation',
    'examples',
    'negative_examples',
    'references',
  ]);
  for (const key of Object.keys(r)) if (!known.has(key)) fail(file, id, `unknown field \`${key}\``);
  if (typeof r.description !== 'string' || !r.description) fail(file, id, '`description` is required');
  if (typeof r.pattern !== 'string' || !r.pattern) fail(file, id, '`pattern` is required');
  if (r.secretGroup !== undefined && !(Number.isInteger(r.secretGroup) && (r.secretGroup as number) >= 0)) {
    fail(file, id, '`secretGroup` must be a whole number');
  }
  if (r.boundary !== undefined && r.boundary !== 'token' && r.boundary !== 'none') fail(file, id, '`boundary` must be `token` or `none`');
  if (r.validator !== undefined && (typeof r.validator !== 'string' || !(r.validator in VALIDATORS))) {
    fail(file, id, `unknown validator \`${String(r.validator)}\` (known: ${Object.keys(VALIDATORS).join(', ')})`);
  }
  if (r.window !== undefined && !(Number.isInteger(r.window) && (r.window as number) >= 0 && (r.window as number) <= MAX_WINDOW)) {
    fail(file, id, `\`window\` must be a whole number of bytes from 0 to ${MAX_WINDOW}`);
  }
  if (r.remediation !== undefined && typeof r.remediation !== 'string') fail(file, id, '`remediation` must be text');
  const examples = stringList(r.examples, file, id, 'examples', true);
  if (examples.length === 0) fail(file, id, '`examples` must hold at least one example that the rule finds');
  return {
    id: r.id,
    description: r.description,
    keywords: stringList(r.keywords, file, id, 'keywords', false),
    pattern: r.pattern,
    secretGroup: r.secretGroup as number | undefined,
    boundary: r.boundary as RuleSpec['boundary'],
    validator: r.validator as string | undefined,
    window: r.window as number | undefined,
    remediation: r.remediation as string | undefined,
    examples,
    negative_examples: stringList(r.negative_examples, file, id, 'negative_examples', false),
  };
}

/** Compiles a rule's pattern with RE2; a pattern RE2 rejects (look-behind, back-references) is refused here. */
export function compileRule(spec: RuleSpec, file: string): CompiledRule {
  let regex: RE2;
  try {
    regex = new (re2())(spec.pattern, 'gd');
  } catch (error) {
    fail(file, spec.id, `pattern does not compile under RE2: ${(error as Error).message}`);
  }
  const groups = countGroups(spec.pattern);
  const secretGroup = spec.secretGroup ?? (groups > 0 ? 1 : 0);
  if (secretGroup > groups) fail(file, spec.id, `\`secretGroup\` ${secretGroup} but the pattern has ${groups} capture group(s)`);
  return ruleOf(spec, file, secretGroup, () => regex);
}

/**
 * A built-in rule as the build compiled and checked it (scripts/compile-rules.mjs): its regex is compiled when
 * first read, which the engine does only where a keyword occurs.
 */
function prebuiltRule(spec: RuleSpec, file: string, secretGroup: number): CompiledRule {
  let regex: RE2 | undefined;
  return ruleOf(spec, file, secretGroup, () => (regex ??= new (re2())(spec.pattern, 'gd')));
}

function ruleOf(spec: RuleSpec, file: string, secretGroup: number, regex: () => RE2): CompiledRule {
  return {
    id: spec.id,
    description: spec.description,
    remediation: spec.remediation,
    keywords: spec.keywords.map((k) => Buffer.from(k, 'utf8')),
    get regex() {
      return regex();
    },
    secretGroup,
    boundary: spec.boundary ?? 'token',
    validator: spec.validator ? VALIDATORS[spec.validator] : undefined,
    window: spec.window ?? DEFAULT_WINDOW,
    file,
    spec,
  };
}

/** Counts the pattern's capturing groups. */
function countGroups(pattern: string): number {
  // RE2 reports its capture groups as the length of a match array; `(?:pattern)|` always matches the empty string.
  const probe = new (re2())(`(?:${pattern})|`, '');
  return probe.exec('')!.length - 1;
}

/** Reads a rule file: YAML with a top-level `rules:` list. */
export function readRuleFile(file: string): RuleSpec[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new NeevscanError(
      `cannot read rule file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      'bad-rule',
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    fail(file, undefined, `not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const rules = (doc as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(rules) || rules.length === 0) fail(file, undefined, 'expected a top-level `rules:` list with at least one rule');
  return rules.map((raw, index) => validateSpec(raw, file, index));
}

/** The rule files a path names: the file itself, or the .yaml / .yml files of a folder. */
function ruleFilesAt(path: string): string[] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (error) {
    throw new NeevscanError(`cannot read rule file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`, 'bad-rule');
  }
  if (!isDir) return [path];
  return readdirSync(path)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => join(path, name));
}

/**
 * Loads the built-in rules and any extra rule files or folders. Each rule is
 * compiled and run against its own examples; a rule that fails is refused
 * with a message naming its file and id. Ids must be unique.
 */
export function loadRules(extra: readonly string[] = []): CompiledRule[] {
  const rules: CompiledRule[] = [];
  const seen = new Map<string, string>();
  const add = (id: string, file: string, rule: () => CompiledRule) => {
    const earlier = seen.get(id);
    if (earlier) fail(file, id, `id already used by a rule in ${earlier}`);
    seen.set(id, file);
    rules.push(rule());
  };
  const checked = (spec: RuleSpec, file: string) => () => {
    const rule = compileRule(spec, file);
    const problems = checkExamples(rule);
    if (problems.length > 0) fail(file, spec.id, problems.join('; '));
    return rule;
  };
  const prebuilt = readPrebuiltRules();
  if (prebuilt) {
    for (const { spec, file, secretGroup } of prebuilt) {
      add(spec.id, file, () => (secretGroup === undefined ? compileRule(spec, file) : prebuiltRule(spec, file, secretGroup)));
    }
  } else for (const file of ruleFilesAt(BUILTIN_RULES_DIR)) for (const spec of readRuleFile(file)) add(spec.id, file, checked(spec, file));
  for (const file of extra.flatMap(ruleFilesAt)) for (const spec of readRuleFile(file)) add(spec.id, file, checked(spec, file));
  return rules;
}

export interface PrebuiltRule {
  file: string;
  spec: RuleSpec;
  /** The capture group of the secret, as compiling the pattern found it (absent in a build before it was recorded). */
  secretGroup?: number;
}

/** The build's checked copy of the built-in rules, unless a rule file changed after it was made. */
function readPrebuiltRules(): PrebuiltRule[] | undefined {
  if (!existsSync(BUILTIN_RULES_JSON)) return undefined;
  const built = statSync(BUILTIN_RULES_JSON).mtimeMs;
  const files = ruleFilesAt(BUILTIN_RULES_DIR);
  if (files.some((file) => statSync(file).mtimeMs > built)) return undefined;
  const rules = JSON.parse(readFileSync(BUILTIN_RULES_JSON, 'utf8')) as PrebuiltRule[];
  return rules.map((rule) => ({ ...rule, file: join(BUILTIN_RULES_DIR, rule.file) }));
}
