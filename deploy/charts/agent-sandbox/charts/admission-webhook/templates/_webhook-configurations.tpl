{{- /* Generated from deploy/webhook/webhook-configurations.yaml by tools/chart (npm run chart:generate); do not edit. */}}
{{- define "admission-webhook.configurations" -}}
{{- $ctx := .context -}}
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: agent-sandbox-admission
  labels:
    {{- include "agent-sandbox-lib.labels" $ctx | nindent 4 }}
  {{- if $ctx.Values.certManager.enabled }}
  annotations:
    # cert-manager's CA injector writes the serving certificate's CA into every caBundle.
    cert-manager.io/inject-ca-from: {{ $ctx.Release.Namespace }}/{{ include "agent-sandbox-lib.name" $ctx }}
  {{- end }}
webhooks:
  - name: mutate.agents.x-k8s.io
    clientConfig:
      service:
        namespace: {{ $ctx.Release.Namespace }}
        name: {{ include "agent-sandbox-lib.name" $ctx }}
        port: 443
        path: /mutate
      {{- with .caBundle }}
      caBundle: {{ . }}
      {{- end }}
    rules:
      - apiGroups:
          - agents.x-k8s.io
        apiVersions:
          - v1beta1
        resources:
          - sandboxes
        operations:
          - CREATE
          - UPDATE
        scope: Namespaced
      - apiGroups:
          - extensions.agents.x-k8s.io
        apiVersions:
          - v1beta1
        resources:
          - sandboxtemplates
        operations:
          - CREATE
          - UPDATE
        scope: Namespaced
      - apiGroups:
          - extensions.agents.x-k8s.io
        apiVersions:
          - v1beta1
        resources:
          - sandboxclaims
        operations:
          - CREATE
        scope: Namespaced
    reinvocationPolicy: IfNeeded
    admissionReviewVersions:
      - v1
    sideEffects: None
    matchPolicy: Equivalent
    failurePolicy: {{ $ctx.Values.failurePolicy }}
    timeoutSeconds: {{ $ctx.Values.timeoutSeconds }}
    namespaceSelector:
      {{- toYaml $ctx.Values.namespaceSelector | nindent 6 }}
    objectSelector: {}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: agent-sandbox-admission
  labels:
    {{- include "agent-sandbox-lib.labels" $ctx | nindent 4 }}
  {{- if $ctx.Values.certManager.enabled }}
  annotations:
    # cert-manager's CA injector writes the serving certificate's CA into every caBundle.
    cert-manager.io/inject-ca-from: {{ $ctx.Release.Namespace }}/{{ include "agent-sandbox-lib.name" $ctx }}
  {{- end }}
webhooks:
  - name: validate.agents.x-k8s.io
    clientConfig:
      service:
        namespace: {{ $ctx.Release.Namespace }}
        name: {{ include "agent-sandbox-lib.name" $ctx }}
        port: 443
        path: /validate
      {{- with .caBundle }}
      caBundle: {{ . }}
      {{- end }}
    rules:
      - apiGroups:
          - agents.x-k8s.io
        apiVersions:
          - v1beta1
        resources:
          - sandboxes
        operations:
          - CREATE
          - UPDATE
        scope: Namespaced
      - apiGroups:
          - extensions.agents.x-k8s.io
        apiVersions:
          - v1beta1
        resources:
          - sandboxtemplates
          - sandboxclaims
          - sandboxwarmpools
        operations:
          - CREATE
          - UPDATE
        scope: Namespaced
      - apiGroups:
          - extensions.agents.x-k8s.io
        apiVersions:
          - v1beta1
        resources:
          - sandboxwarmpools/scale
        operations:
          - UPDATE
        scope: Namespaced
    admissionReviewVersions:
      - v1
    sideEffects: None
    matchPolicy: Equivalent
    failurePolicy: {{ $ctx.Values.failurePolicy }}
    timeoutSeconds: {{ $ctx.Values.timeoutSeconds }}
    namespaceSelector:
      {{- toYaml $ctx.Values.namespaceSelector | nindent 6 }}
    objectSelector: {}
{{- end }}
