import { NeevscanError } from '../../errors.js';
import { checkExamples } from '../../rules/check.js';
import { loadRules } from '../../rules/load.js';
import { terminalSafe } from '../../report/terminal-safe.js';

/** `neevscan rules [PATH...]`: compiles every rule (built-in and given) under RE2 and runs each against its examples. */
export function runRulesCheck(paths: string[]): number {
  for (const rule of loadRules(paths)) {
    const problems = checkExamples(rule);
    if (problems.length > 0) throw new NeevscanError(`rule file ${rule.file}, rule ${rule.id}: ${problems.join('; ')}`, 'bad-rule');
    const examples = rule.spec.examples.length + (rule.spec.negative_examples?.length ?? 0);
    process.stdout.write(`ok  ${terminalSafe(rule.id)}  (${examples} examples)  ${terminalSafe(rule.file)}\n`);
  }
  return 0;
}
