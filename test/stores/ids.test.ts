import { describe, expect, it } from 'vitest';
import { checkId, idPattern, InvalidIdError, isId, newId, type IdKind } from '../../src/stores/ids.js';

const KINDS: IdKind[] = ['own', 'key', 'tok', 'alt'];

describe('ids', () => {
  it('isId says what the route schemas’ pattern says, on ids and on near misses', () => {
    const samples: unknown[] = [
      ...KINDS.map((kind) => newId(kind)),
      'key_0000000000000000',
      'key_zzzzzzzzzzzzzzzZ',
      'key_000000000000000', // 15
      'key_00000000000000000', // 17
      'key-0000000000000000',
      'KEY_0000000000000000',
      'kez_0000000000000000',
      'key_000000000000000_',
      'key_00000000000000-0',
      'key_0000000000000:00',
      'key_00000000000000é0',
      'key_000000000000000\n',
      'key_0000000000000000\n',
      'key_０000000000000000', // a full-width digit
      'key_0000000000000000'.replace('0', '\u0000'),
      '',
      42,
      null,
      undefined,
      ['key_0000000000000000'],
    ];
    for (const kind of KINDS) {
      const pattern = new RegExp(idPattern(kind));
      for (const sample of samples) {
        expect(isId(kind, sample), `${kind} ${JSON.stringify(sample)}`).toBe(typeof sample === 'string' && pattern.test(sample));
      }
    }
  });

  it('checkId passes an id through and refuses anything else with a 400', () => {
    const id = newId('alt');
    expect(checkId('alt', id)).toBe(id);
    expect(() => checkId('key', id)).toThrow(InvalidIdError);
    expect(() => checkId('alt', `${id}x`)).toThrow(/not an alert id/);
  });
});
