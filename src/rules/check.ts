import { findMatches } from '../scanner/engine.js';
import type { CompiledRule } from './types.js';

/**
 * Runs a rule against its own examples, as gitleaks and Nosey Parker do: every
 * example must yield a finding and no negative example may. Returns what failed.
 */
export function checkExamples(rule: CompiledRule): string[] {
  const problems: string[] = [];
  for (const [index, example] of rule.spec.examples.entries()) {
    if (findMatches(Buffer.from(example, 'utf8'), [rule]).length === 0) problems.push(`example ${index + 1} is not found by the rule`);
  }
  for (const [index, example] of (rule.spec.negative_examples ?? []).entries()) {
    if (findMatches(Buffer.from(example, 'utf8'), [rule]).length > 0) problems.push(`negative example ${index + 1} is found by the rule`);
  }
  return problems;
}
