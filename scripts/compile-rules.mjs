// Part of `npm run build`: parses the built-in rules (rules/*.yaml), checks
// each against its own examples, and writes them as JSON beside the compiled
// loader, so a scan starts without the YAML parser. A bad rule fails the build.
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { BUILTIN_RULES_DIR, BUILTIN_RULES_JSON, compileRule, readRuleFile } from '../dist/rules/load.js';
import { checkExamples } from '../dist/rules/check.js';
import { readdirSync } from 'node:fs';

const out = [];
for (const name of readdirSync(BUILTIN_RULES_DIR)
  .filter((n) => /\.ya?ml$/.test(n))
  .sort()) {
  for (const spec of readRuleFile(BUILTIN_RULES_DIR + name)) {
    const rule = compileRule(spec, name);
    const problems = checkExamples(rule);
    if (problems.length) {
      console.error(`rules/${name}, rule ${spec.id}: ${problems.join('; ')}`);
      process.exit(1);
    }
    // The secret's capture group, found by compiling the pattern: a scan then compiles a regex only when it needs it.
    out.push({ file: basename(name), spec, secretGroup: rule.secretGroup });
  }
}
writeFileSync(BUILTIN_RULES_JSON, JSON.stringify(out));
