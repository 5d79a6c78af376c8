/**
 * `text` with its last character changed, always to a different one.
 * (`text.slice(0, -1) + 'x'` is `text` itself whenever it already ends in `x`:
 * with a random base62 key that was one run in 62, and the test that expected
 * the "wrong" key to be refused failed.)
 */
export function changeLastChar(text: string): string {
  if (text.length === 0) throw new Error('changeLastChar: empty text');
  return text.slice(0, -1) + (text.endsWith('x') ? 'y' : 'x');
}
