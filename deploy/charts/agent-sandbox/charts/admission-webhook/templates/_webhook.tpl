{{- /* Where the serving certificate comes from: cert-manager, chart or webhook. */}}
{{- define "admission-webhook.certificateSource" -}}
{{- if .Values.certManager.enabled }}cert-manager{{ else }}{{ .Values.selfManaged.generator }}{{ end -}}
{{- end }}

{{- /* The Secret holding tls.crt and tls.key (mounted at /tls), when the webhook does not make its own. */}}
{{- define "admission-webhook.tlsSecretName" -}}
{{- if .Values.certManager.enabled }}{{ include "agent-sandbox-lib.name" . }}-serving-cert{{ else }}{{ include "agent-sandbox-lib.name" . }}-tls{{ end -}}
{{- end }}

{{- /* The Service's DNS names: what a serving certificate must hold. */}}
{{- define "admission-webhook.dnsNames" -}}
{{- $service := printf "%s.%s.svc" (include "agent-sandbox-lib.name" .) .Release.Namespace -}}
{{- list $service (printf "%s.cluster.local" $service) | toYaml -}}
{{- end }}

{{- /* The controllers' ServiceAccounts (named after the programs, in this namespace) and the extra trusted users. */}}
{{- define "admission-webhook.trustedUsers" -}}
{{- $users := list -}}
{{- range list "sandbox-controller" "claim-controller" "warmpool-orchestrator" "ttl-reaper" -}}
{{- $users = append $users (printf "system:serviceaccount:%s:%s" $.Release.Namespace .) -}}
{{- end -}}
{{- join "," (concat $users .Values.policy.trustedUsers) -}}
{{- end }}

{{- /* What the webhook adds to the library's Deployment: its HTTPS port, flags and certificate volume. */}}
{{- define "admission-webhook.podExtra" -}}
{{- $source := include "admission-webhook.certificateSource" . -}}
{{- if and (eq $source "webhook") (gt (int .Values.replicas) 1) -}}
{{- fail (printf "admission-webhook: selfManaged.generator=webhook works with replicas: 1 only (each replica would make its own CA; got replicas: %d). Use generator: chart or certManager.enabled." (int .Values.replicas)) -}}
{{- end -}}
args:
  - {{ printf "--bind-address=:%v" .Values.webhookPort | quote }}
  - {{ printf "--service-name=%s" (include "agent-sandbox-lib.name" .) | quote }}
  - {{ printf "--service-namespace=%s" .Release.Namespace | quote }}
  - "--webhook-configuration-name=agent-sandbox-admission"
  - {{ printf "--trusted-users=%s" (include "admission-webhook.trustedUsers" .) | quote }}
  {{- if eq $source "webhook" }}
  - "--patch-ca-bundle=true"
  {{- else }}
  - "--tls-cert-dir=/tls"
  - "--patch-ca-bundle=false"
  {{- end }}
ports:
  - name: https
    containerPort: {{ .Values.webhookPort }}
    protocol: TCP
{{- if ne $source "webhook" }}
volumes:
  - name: tls
    secret:
      secretName: {{ include "admission-webhook.tlsSecretName" . }}
volumeMounts:
  - name: tls
    mountPath: /tls
    readOnly: true
{{- end }}
{{- end }}
