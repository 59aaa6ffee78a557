import { describe, expect, it } from 'vitest';
import { CommandLineError, splitCommandLine } from './command-line.ts';

describe('splitCommandLine', () => {
  it.each<[string, string[]]>([
    ['ls -la  /tmp', ['ls', '-la', '/tmp']],
    [`python3 -c 'print(6*7)'`, ['python3', '-c', 'print(6*7)']],
    [`echo "a \\"quoted\\" \\$HOME \\n"`, ['echo', 'a "quoted" $HOME \\n']],
    [`echo it\\'s`, ['echo', "it's"]],
    [`a'b'"c"d`, ['abcd']],
    [`''`, ['']],
    [`x ""`, ['x', '']],
    ['echo $HOME *.txt | wc', ['echo', '$HOME', '*.txt', '|', 'wc']],
    ['\t\n', []],
  ])('%j', (line, argv) => {
    expect(splitCommandLine(line)).toEqual(argv);
  });

  it.each([`echo 'open`, `echo "open`, 'trailing\\'])('refuses %j', (line) => {
    expect(() => splitCommandLine(line)).toThrow(CommandLineError);
  });
});
