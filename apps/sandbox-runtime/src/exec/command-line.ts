/**
 * Splits a command line into argv the way POSIX shells (and Python's `shlex.split`) do, without
 * a shell: no expansion, no pipes, no redirections. Whitespace separates words; single quotes
 * keep everything literally; double quotes keep everything but `\` before `\ " $ \`` and a
 * newline; a backslash outside quotes takes the next character literally.
 */
export class CommandLineError extends Error {
  override name = 'CommandLineError';
}

const SPACE = /\s/;
const ESCAPABLE_IN_DOUBLE = new Set(['\\', '"', '$', '`', '\n']);

export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (SPACE.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) throw new CommandLineError('no closing quotation (\')');
      word += line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new CommandLineError('no closing quotation (")');
        const d = line[i]!;
        if (d === '"') break;
        if (d === '\\' && i + 1 < line.length && ESCAPABLE_IN_DOUBLE.has(line[i + 1]!)) {
          word += line[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      i++;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new CommandLineError('no escaped character after a final backslash');
      word += line[i + 1];
      i += 2;
    } else {
      word += c;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
