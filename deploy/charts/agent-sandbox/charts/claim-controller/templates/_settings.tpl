{{- /* Generated from tools/chart/src/values/charts.ts (npm run chart:generate); do not edit. */}}
{{- /* The claim-controller's own flags, one per setting value. */}}
{{- define "claim-controller.settingsArgs" -}}
- {{ printf "--workers=%v" .Values.workers | quote }}
- {{ printf "--allowed-label-domains=%s" (join "," .Values.allowedLabelDomains) | quote }}
{{- end }}
