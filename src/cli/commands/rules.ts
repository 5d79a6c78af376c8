import { loadRules } from '../../rules/load.js';

/** `neevscan rules [PATH...]`: loading is the check (RE2 compile, examples); a bad rule throws with its file and id. */
export function runRulesCheck(paths: string[]): number {
  const rules = loadRules(paths);
  for (const rule of rules) {
    const examples = rule.spec.examples.length + (rule.spec.negative_examples?.length ?? 0);
    process.stdout.write(`ok  ${rule.id}  (${examples} examples)  ${rule.file}\n`);
  }
  return 0;
}
