{{- /* Generated from tools/chart/src/values/charts.ts (npm run chart:generate); do not edit. */}}
{{- /* The ttl-reaper's own flags, one per setting value. */}}
{{- define "ttl-reaper.settingsArgs" -}}
- {{ printf "--workers=%v" .Values.workers | quote }}
- {{ printf "--actions-per-second=%v" .Values.actionsPerSecond | quote }}
- {{ printf "--action-burst=%v" .Values.actionBurst | quote }}
{{- end }}
