{{- /* Generated from tools/chart/src/values/charts.ts (npm run chart:generate); do not edit. */}}
{{- /* The warmpool-orchestrator's own flags, one per setting value. */}}
{{- define "warmpool-orchestrator.settingsArgs" -}}
- {{ printf "--workers=%v" .Values.workers | quote }}
- {{ printf "--max-create-batch=%v" .Values.maxCreateBatch | quote }}
- {{ printf "--ready-grace-period=%v" .Values.readyGracePeriod | quote }}
- {{ printf "--expectations-timeout=%v" .Values.expectationsTimeout | quote }}
- {{ printf "--status-min-interval=%v" .Values.statusMinInterval | quote }}
{{- end }}
