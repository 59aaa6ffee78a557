{{- /*
Names and labels. A program's namespaced objects (Deployment, ServiceAccount, Service…) carry
the program's name, so the admission webhook can trust the controllers' ServiceAccounts by name
whichever release installed them; cluster-scoped names come from apps/<program>/rbac.yaml.
*/}}

{{- /* The program's (subchart's) name. */}}
{{- define "agent-sandbox-lib.name" -}}
{{- .Chart.Name -}}
{{- end }}

{{- define "agent-sandbox-lib.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "agent-sandbox-lib.labels" -}}
{{ include "agent-sandbox-lib.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | default .Chart.Version | quote }}
app.kubernetes.io/part-of: agent-sandbox
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{- /* `<registry>/<repository>:<tag>`, or `@<digest>` in place of the tag. */}}
{{- define "agent-sandbox-lib.image" -}}
{{- $registry := .Values.image.registry | default .Values.global.image.registry -}}
{{- $name := .Values.image.repository -}}
{{- if $registry }}{{ $name = printf "%s/%s" $registry $name }}{{ end -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $name .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $name (.Values.image.tag | default .Values.global.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end }}

{{- /* A map as `k=v,k=v` (keys sorted), for flags that take such a list. */}}
{{- define "agent-sandbox-lib.keyValueList" -}}
{{- $pairs := list -}}
{{- range $k, $v := . }}{{ $pairs = append $pairs (printf "%s=%s" $k $v) }}{{ end -}}
{{- join "," $pairs -}}
{{- end }}

{{- /* Leader election is on with more than one replica, whatever `leaderElection.enabled` says (it must not say false then). */}}
{{- define "agent-sandbox-lib.leaderElect" -}}
{{- if and (gt (int .Values.replicas) 1) (not .Values.leaderElection.enabled) -}}
{{- fail (printf "%s: leaderElection.enabled=false needs replicas: 1 (with replicas: %d every Pod would reconcile at once)" .Chart.Name (int .Values.replicas)) -}}
{{- end -}}
{{- or (gt (int .Values.replicas) 1) .Values.leaderElection.enabled -}}
{{- end }}

{{- /* OTEL_RESOURCE_ATTRIBUTES: the Pod's identity, then global, then the program's own. */}}
{{- define "agent-sandbox-lib.resourceAttributes" -}}
{{- $attrs := dict "k8s.namespace.name" "$(POD_NAMESPACE)" "k8s.pod.name" "$(POD_NAME)" "k8s.deployment.name" (include "agent-sandbox-lib.name" .) -}}
{{- $attrs = merge (deepCopy .Values.otlp.resourceAttributes) (deepCopy .Values.global.otlp.resourceAttributes) $attrs -}}
{{- include "agent-sandbox-lib.keyValueList" $attrs -}}
{{- end }}
