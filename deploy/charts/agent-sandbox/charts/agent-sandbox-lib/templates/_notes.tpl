{{- /* A program subchart's NOTES.txt (shown when it is installed alone). */}}
{{- define "agent-sandbox-lib.notes" -}}
{{- $name := include "agent-sandbox-lib.name" . -}}
{{- if .Values.enabled -}}
{{ $name }} {{ .Chart.AppVersion }} is installed in namespace {{ .Release.Namespace }}: Deployment {{ $name }} ({{ .Values.replicas }} replica{{ if ne (int .Values.replicas) 1 }}s{{ end }}{{ if hasKey .Values "leaderElection" }}, leader election {{ if eq (include "agent-sandbox-lib.leaderElect" .) "true" }}on{{ else }}off{{ end }}{{ end }}), running as ServiceAccount {{ $name }}.

Check it:
  kubectl -n {{ .Release.Namespace }} rollout status deployment/{{ $name }}
  kubectl -n {{ .Release.Namespace }} logs deployment/{{ $name }}
{{- else -}}
{{ $name }} is disabled (enabled: false): nothing was installed.
{{- end }}
{{- end }}
