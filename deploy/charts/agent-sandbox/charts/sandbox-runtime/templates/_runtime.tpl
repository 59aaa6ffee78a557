{{- /* Where the template and the pool live: where agents claim sandboxes. */}}
{{- define "sandbox-runtime.namespace" -}}
{{- .Values.namespace | default .Release.Namespace -}}
{{- end }}

{{- define "sandbox-runtime.poolName" -}}
{{- .Values.warmPool.name | default .Values.template.name -}}
{{- end }}
