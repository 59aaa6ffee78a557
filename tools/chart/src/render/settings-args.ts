/**
 * A program subchart's `_settings.tpl`: the command-line flags of the values that map one-to-one
 * onto the program's own flags, so a value and its flag are declared together (charts.ts).
 */
import { leaves, type Value } from '../values/builder.ts';

function expression(path: string[], value: Value): string {
  const ref = `.Values.${path.join('.')}`;
  const name = value.flag!.name;
  switch (value.flag!.format) {
    case 'plain':
      return `printf "--${name}=%v" ${ref}`;
    case 'seconds':
      return `printf "--${name}=%vs" ${ref}`;
    case 'commaList':
      return `printf "--${name}=%s" (join "," ${ref})`;
    case 'keyValueList':
      return `printf "--${name}=%s" (include "agent-sandbox-lib.keyValueList" ${ref})`;
  }
}

export function renderSettingsArgs(program: string, settings: Readonly<Record<string, Value>>): string {
  const lines = leaves(settings)
    .filter(({ value }) => value.flag)
    .map(({ path, value }) => `- {{ ${expression(path, value)} | quote }}`);
  return [
    '{{- /* Generated from tools/chart/src/values/charts.ts (npm run chart:generate); do not edit. */}}',
    `{{- /* The ${program}'s own flags, one per setting value. */}}`,
    `{{- define "${program}.settingsArgs" -}}`,
    ...lines,
    '{{- end }}',
    '',
  ].join('\n');
}
