import { describe, expect, it } from 'vitest';
import { changeLastChar } from './tamper.js';

describe('changeLastChar', () => {
  it('changes the last character whatever it is, and only that one', () => {
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_';
    for (const last of alphabet) {
      const text = `neev_abc${last}`;
      const changed = changeLastChar(text);
      expect(changed).not.toBe(text);
      expect(changed.slice(0, -1)).toBe(text.slice(0, -1));
    }
  });
});
