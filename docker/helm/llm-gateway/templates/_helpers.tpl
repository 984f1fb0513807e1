{{- define "gateway.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "gateway.redisName" -}}
{{- printf "%s-redis" (include "gateway.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gateway.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: gateway
{{- end -}}

{{- define "gateway.redisSelectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: redis
{{- end -}}

{{/* Is there a Redis to share limits through? */}}
{{- define "gateway.hasRedis" -}}
{{- if or .Values.redis.enabled .Values.redis.external.url .Values.redis.external.existingSecret -}}true{{- end -}}
{{- end -}}

{{/* The gateway's config.yaml: the values' config, with the chart's policy path and state. */}}
{{- define "gateway.config" -}}
{{- $config := deepCopy .Values.config -}}
{{- $_ := set $config "policy" "policy.yaml" -}}
{{- if include "gateway.hasRedis" . -}}
{{- $cluster := and (not .Values.redis.enabled) .Values.redis.external.cluster -}}
{{- $state := dict "redis_url_env" "GATEWAY_REDIS_URL" "on_error" .Values.state.onError "timeout" .Values.state.timeout "cluster" $cluster -}}
{{- $_ := set $config "state" $state -}}
{{- end -}}
{{- toYaml $config -}}
{{- end -}}

{{- define "gateway.secretName" -}}
{{- printf "%s-env" (include "gateway.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
