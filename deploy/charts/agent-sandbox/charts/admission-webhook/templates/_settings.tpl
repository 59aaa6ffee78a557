{{- /* Generated from tools/chart/src/values/charts.ts (npm run chart:generate); do not edit. */}}
{{- /* The admission-webhook's own flags, one per setting value. */}}
{{- define "admission-webhook.settingsArgs" -}}
- {{ printf "--shutdown-delay=%vs" .Values.shutdownDelaySeconds | quote }}
- {{ printf "--secure-pod-defaults=%v" .Values.policy.securePodDefaults | quote }}
- {{ printf "--default-runtime-class=%v" .Values.policy.defaultRuntimeClass | quote }}
- {{ printf "--runtime-class-by-namespace=%s" (include "agent-sandbox-lib.keyValueList" .Values.policy.runtimeClassByNamespace) | quote }}
- {{ printf "--allowed-runtime-classes=%s" (join "," .Values.policy.allowedRuntimeClasses) | quote }}
- {{ printf "--require-resource-limits=%v" .Values.policy.requireResourceLimits | quote }}
- {{ printf "--required-limits=%s" (join "," .Values.policy.requiredLimits) | quote }}
- {{ printf "--max-pool-replicas=%v" .Values.policy.maxPoolReplicas | quote }}
- {{ printf "--shutdown-time-tolerance=%v" .Values.policy.shutdownTimeTolerance | quote }}
- {{ printf "--allowed-label-domains=%s" (join "," .Values.policy.allowedLabelDomains) | quote }}
- {{ printf "--trusted-groups=%s" (join "," .Values.policy.trustedGroups) | quote }}
{{- end }}
