/**
 * Rules as data a worker thread can receive. A compiled rule holds an RE2
 * object and a validator function, which cannot cross threads; the rest is
 * plain data. Sending the compiled rules rather than the rule files spares
 * each worker importing the YAML parser and checking every rule's examples
 * again, which was most of a worker's start-up time.
 */
import RE2 from 're2';
import type { CompiledRule } from '../rules/types.js';
import { VALIDATORS } from '../rules/validators.js';

export type PortableRule = Omit<CompiledRule, 'regex' | 'validator' | 'keywords'> & {
  keywords: Uint8Array[];
  source: string;
  flags: string;
};

/** The rule as data, or undefined when a worker could not rebuild it exactly (a validator that is not a named one). */
export function toPortable(rule: CompiledRule): PortableRule | undefined {
  const named = rule.spec.validator === undefined ? undefined : VALIDATORS[rule.spec.validator];
  if (named !== rule.validator) return undefined;
  const { regex, validator: _validator, keywords, ...data } = rule;
  return { ...data, keywords: keywords.map((k) => new Uint8Array(k)), source: regex.source, flags: regex.flags };
}

export function fromPortable(rule: PortableRule): CompiledRule {
  const { source, flags, keywords, ...data } = rule;
  return {
    ...data,
    keywords: keywords.map((k) => Buffer.from(k.buffer, k.byteOffset, k.byteLength)),
    regex: new RE2(source, flags),
    validator: rule.spec.validator === undefined ? undefined : VALIDATORS[rule.spec.validator],
  };
}
