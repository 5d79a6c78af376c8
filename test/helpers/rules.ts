import { loadRules } from '../../src/rules/load.js';

/** The built-in rules, loaded once per test file. */
export const BUILTIN = loadRules();
