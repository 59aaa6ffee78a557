{{- /* Generated from tools/chart/src/values/charts.ts (npm run chart:generate); do not edit. */}}
{{- /* The sandbox-controller's own flags, one per setting value. */}}
{{- define "sandbox-controller.settingsArgs" -}}
- {{ printf "--workers=%v" .Values.workers | quote }}
- {{ printf "--template-workers=%v" .Values.templateWorkers | quote }}
- {{ printf "--cluster-domain=%v" .Values.clusterDomain | quote }}
{{- end }}
