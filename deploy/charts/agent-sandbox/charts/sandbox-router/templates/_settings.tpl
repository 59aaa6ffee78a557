{{- /* Generated from tools/chart/src/values/charts.ts (npm run chart:generate); do not edit. */}}
{{- /* The sandbox-router's own flags, one per setting value. */}}
{{- define "sandbox-router.settingsArgs" -}}
- {{ printf "--watch-namespace=%v" .Values.watchNamespace | quote }}
- {{ printf "--authorization=%v" .Values.authorization | quote }}
- {{ printf "--authorization-cache-ttl=%v" .Values.authorizationCacheTtl | quote }}
- {{ printf "--token-audiences=%s" (join "," .Values.tokenAudiences) | quote }}
- {{ printf "--default-timeout=%v" .Values.defaultTimeout | quote }}
- {{ printf "--max-timeout=%v" .Values.maxTimeout | quote }}
- {{ printf "--websocket-idle-timeout=%v" .Values.websocketIdleTimeout | quote }}
- {{ printf "--websocket-max-lifetime=%v" .Values.websocketMaxLifetime | quote }}
- {{ printf "--max-websockets-per-client=%v" .Values.maxWebsocketsPerClient | quote }}
- {{ printf "--resolve-wait=%v" .Values.resolveWait | quote }}
{{- end }}
