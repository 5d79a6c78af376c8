/**
 * Text for a terminal that came from outside: file names, paths, git refs,
 * error messages that quote them. A file may be named
 * `a\e[2K\e[1A\e]0;pwned\aconfig.env`; printed raw, the terminal obeys it
 * (erases the finding's line, moves the cursor, sets the title). Every C0 and
 * C1 control character, DEL, the bidirectional overrides that reorder what is
 * shown (Trojan Source), the Unicode line separators and lone surrogates are
 * written as visible escapes instead, and a backslash is doubled so a name
 * that spells an escape cannot pass for one. Printable text, non-ASCII
 * included, is left as it is. (A plain loop, no regex: names are untrusted.)
 */
const NAMED: Record<number, string> = {
  0x07: '\\a',
  0x08: '\\b',
  0x09: '\\t',
  0x0a: '\\n',
  0x0b: '\\v',
  0x0c: '\\f',
  0x0d: '\\r',
  0x1b: '\\e',
  0x5c: '\\\\',
};

function unsafe(code: number): boolean {
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x5c ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

export function terminalSafe(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += text[i]! + text[i + 1]!;
        i++;
        continue;
      }
    }
    if (code >= 0xd800 && code <= 0xdfff) out += `\\u{${code.toString(16)}}`;
    else if (unsafe(code)) out += NAMED[code] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`);
    else out += text[i]!;
  }
  return out;
}

/** The same for a message of several lines: its own line breaks are kept. */
export function terminalSafeLines(text: string): string {
  return text.split('\n').map(terminalSafe).join('\n');
}
