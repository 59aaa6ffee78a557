{{- /*
Everything a program's subchart installs but its RBAC (templates/rbac.yaml, generated):
ServiceAccount, Deployment, a controller's leader-election Lease, PodDisruptionBudget, and the
metrics Service and ServiceMonitor when asked for. Called with a dict: `context` (the subchart's root context) and `extra`, what the
program adds to its Pod: `args`, `ports`, `volumes`, `volumeMounts` (lists) and `podAnnotations`
(a map).
*/}}
{{- define "agent-sandbox-lib.program" -}}
{{- $ctx := .context -}}
{{- if $ctx.Values.enabled }}
{{- include "agent-sandbox-lib.serviceAccount" $ctx }}
---
{{- include "agent-sandbox-lib.deployment" . }}
{{- if and (hasKey $ctx.Values "leaderElection") (eq (include "agent-sandbox-lib.leaderElect" $ctx) "true") }}
---
{{- include "agent-sandbox-lib.lease" $ctx }}
{{- end }}
{{- if $ctx.Values.podDisruptionBudget.enabled }}
---
{{- include "agent-sandbox-lib.podDisruptionBudget" $ctx }}
{{- end }}
{{- if or $ctx.Values.metrics.service.enabled $ctx.Values.metrics.serviceMonitor.enabled }}
---
{{- include "agent-sandbox-lib.metricsService" $ctx }}
{{- end }}
{{- if $ctx.Values.metrics.serviceMonitor.enabled }}
---
{{- include "agent-sandbox-lib.serviceMonitor" $ctx }}
{{- end }}
{{- end }}
{{- end }}

{{- /*
The leader-election Lease (named after the program, as the program names it), made with the
release and removed with it. The program would make it itself, but then `helm uninstall` would
leave it behind, held: the uninstall removes the ServiceAccount and the Role together with the
Deployment, so the Pods, stopped after that, may no longer release it.
*/}}
{{- define "agent-sandbox-lib.lease" }}
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: {{ include "agent-sandbox-lib.name" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "agent-sandbox-lib.labels" . | nindent 4 }}
{{- end }}

{{- define "agent-sandbox-lib.serviceAccount" }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "agent-sandbox-lib.name" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "agent-sandbox-lib.labels" . | nindent 4 }}
  {{- with .Values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{- define "agent-sandbox-lib.deployment" }}
{{- $ctx := .context }}
{{- $extra := .extra | default dict }}
{{- $values := $ctx.Values }}
{{- $name := include "agent-sandbox-lib.name" $ctx }}
{{- $controller := hasKey $values "leaderElection" }}
{{- $endpoint := $values.otlp.endpoint | default $values.global.otlp.endpoint }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ $ctx.Release.Namespace }}
  labels:
    {{- include "agent-sandbox-lib.labels" $ctx | nindent 4 }}
spec:
  replicas: {{ $values.replicas }}
  revisionHistoryLimit: 5
  # A new Pod is Ready before an old one goes: a webhook with failurePolicy Fail is never without an answer.
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  selector:
    matchLabels:
      {{- include "agent-sandbox-lib.selectorLabels" $ctx | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "agent-sandbox-lib.labels" $ctx | nindent 8 }}
        {{- with $values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with merge (deepCopy ($extra.podAnnotations | default dict)) $values.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: {{ $name }}
      automountServiceAccountToken: true
      enableServiceLinks: false
      terminationGracePeriodSeconds: {{ add $values.shutdownTimeoutSeconds 10 }}
      {{- with $values.priorityClassName | default $values.global.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      {{- with concat $values.global.imagePullSecrets $values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $values.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ $name }}
          image: {{ include "agent-sandbox-lib.image" $ctx }}
          imagePullPolicy: {{ $values.image.pullPolicy | default $values.global.image.pullPolicy }}
          args:
            - {{ printf "--log-level=%s" $values.logLevel | quote }}
            - {{ printf "--health-probe-bind-address=:%v" $values.healthPort | quote }}
            - {{ printf "--shutdown-timeout=%vs" $values.shutdownTimeoutSeconds | quote }}
            {{- if $controller }}
            - {{ printf "--watch-namespace=%s" $values.watchNamespace | quote }}
            - {{ printf "--leader-elect=%s" (include "agent-sandbox-lib.leaderElect" $ctx) | quote }}
            - {{ printf "--leader-election-namespace=%s" $ctx.Release.Namespace | quote }}
            - {{ printf "--leader-election-lease-duration=%s" $values.leaderElection.leaseDuration | quote }}
            - {{ printf "--leader-election-renew-deadline=%s" $values.leaderElection.renewDeadline | quote }}
            - {{ printf "--leader-election-retry-period=%s" $values.leaderElection.retryPeriod | quote }}
            {{- end }}
            {{- include (printf "%s.settingsArgs" $ctx.Chart.Name) $ctx | nindent 12 }}
            {{- range $extra.args }}
            - {{ . | quote }}
            {{- end }}
            {{- range $values.extraArgs }}
            - {{ . | quote }}
            {{- end }}
          env:
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
            {{- if $endpoint }}
            - name: OTEL_EXPORTER_OTLP_ENDPOINT
              value: {{ $endpoint | quote }}
            - name: OTEL_TRACES_SAMPLER
              value: {{ $values.global.otlp.sampler | quote }}
            - name: OTEL_TRACES_SAMPLER_ARG
              value: {{ $values.global.otlp.samplingRatio | toString | quote }}
            - name: OTEL_RESOURCE_ATTRIBUTES
              value: {{ include "agent-sandbox-lib.resourceAttributes" $ctx | quote }}
            {{- end }}
            {{- with $values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          ports:
            - name: health
              containerPort: {{ $values.healthPort }}
              protocol: TCP
            {{- with $extra.ports }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          livenessProbe:
            httpGet:
              path: /healthz
              port: health
            {{- toYaml $values.livenessProbe | nindent 12 }}
          readinessProbe:
            httpGet:
              path: /readyz
              port: health
            {{- toYaml $values.readinessProbe | nindent 12 }}
          resources:
            {{- toYaml $values.resources | nindent 12 }}
          securityContext:
            {{- toYaml $values.securityContext | nindent 12 }}
          {{- with $extra.volumeMounts }}
          volumeMounts:
            {{- toYaml . | nindent 12 }}
          {{- end }}
      {{- with $extra.volumes }}
      volumes:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.nodeSelector | default $values.global.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.tolerations | default $values.global.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.topologySpreadConstraints }}
      {{- $constraints := list }}
      {{- range . }}
      {{- $constraint := deepCopy . }}
      {{- if not (hasKey $constraint "labelSelector") }}
      {{- $_ := set $constraint "labelSelector" (dict "matchLabels" (include "agent-sandbox-lib.selectorLabels" $ctx | fromYaml)) }}
      {{- end }}
      {{- $constraints = append $constraints $constraint }}
      {{- end }}
      topologySpreadConstraints:
        {{- toYaml $constraints | nindent 8 }}
      {{- end }}
{{- end }}

{{- define "agent-sandbox-lib.podDisruptionBudget" }}
{{- $pdb := .Values.podDisruptionBudget }}
{{- $max := $pdb.maxUnavailable }}
{{- $min := $pdb.minAvailable }}
{{- if and (kindIs "invalid" $max) (kindIs "invalid" $min) }}
{{- fail (printf "%s: podDisruptionBudget needs maxUnavailable or minAvailable (or enabled: false)" .Chart.Name) }}
{{- end }}
{{- if not (or (kindIs "invalid" $max) (kindIs "invalid" $min)) }}
{{- fail (printf "%s: podDisruptionBudget takes maxUnavailable or minAvailable, not both (set the other to null)" .Chart.Name) }}
{{- end }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "agent-sandbox-lib.name" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "agent-sandbox-lib.labels" . | nindent 4 }}
spec:
  {{- if kindIs "invalid" $max }}
  minAvailable: {{ $min }}
  {{- else }}
  maxUnavailable: {{ $max }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "agent-sandbox-lib.selectorLabels" . | nindent 6 }}
{{- end }}

{{- define "agent-sandbox-lib.metricsService" }}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "agent-sandbox-lib.name" . }}-metrics
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "agent-sandbox-lib.labels" . | nindent 4 }}
    app.kubernetes.io/component: metrics
spec:
  type: ClusterIP
  selector:
    {{- include "agent-sandbox-lib.selectorLabels" . | nindent 4 }}
  ports:
    - name: http-metrics
      port: {{ .Values.healthPort }}
      targetPort: health
      protocol: TCP
{{- end }}

{{- define "agent-sandbox-lib.serviceMonitor" }}
{{- $sm := .Values.metrics.serviceMonitor }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "agent-sandbox-lib.name" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "agent-sandbox-lib.labels" . | nindent 4 }}
    {{- with $sm.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "agent-sandbox-lib.selectorLabels" . | nindent 6 }}
      app.kubernetes.io/component: metrics
  namespaceSelector:
    matchNames:
      - {{ .Release.Namespace }}
  endpoints:
    - port: http-metrics
      path: /metrics
      interval: {{ $sm.interval }}
      scrapeTimeout: {{ $sm.scrapeTimeout }}
{{- end }}
