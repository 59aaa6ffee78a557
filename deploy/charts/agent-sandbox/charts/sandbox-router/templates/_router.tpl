{{- /* What the router adds to the library's Deployment: its proxy port and address. */}}
{{- define "sandbox-router.podExtra" -}}
args:
  - {{ printf "--bind-address=:%v" .Values.proxyPort | quote }}
ports:
  - name: proxy
    containerPort: {{ .Values.proxyPort }}
    protocol: TCP
{{- end }}
