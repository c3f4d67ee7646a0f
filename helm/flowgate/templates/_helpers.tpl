{{/*
Chart name, for the app.kubernetes.io/name labels (`<name>-<component>`).
*/}}
{{- define "flowgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 50 | trimSuffix "-" }}
{{- end }}

{{/*
Full name, the prefix of every resource: the release name, with the chart name added unless the
release name already contains it (flowgate-blue -> flowgate-blue-gateway). Truncated so that
"<fullname>-processor" stays within 63 characters.
*/}}
{{- define "flowgate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "flowgate.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Name of one component's resources. Call with (dict "ctx" $ "component" "gateway").
*/}}
{{- define "flowgate.componentFullname" -}}
{{- printf "%s-%s" (include "flowgate.fullname" .ctx) .component }}
{{- end }}

{{/*
Labels of every resource of a component. Call with (dict "ctx" $ "component" "gateway").
flowgate.io/colour is what the flowgate-router Service selects on, with the name label.
*/}}
{{- define "flowgate.labels" -}}
helm.sh/chart: {{ include "flowgate.chart" .ctx }}
{{ include "flowgate.selectorLabels" . }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: flowgate
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
flowgate.io/colour: {{ .ctx.Values.colour }}
{{- end }}

{{/*
Selector labels of a component: stable for the life of the release (selectors are immutable).
*/}}
{{- define "flowgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "flowgate.name" .ctx }}-{{ .component }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- end }}

{{/*
Topic prefix of this colour (FLOWGATE_TOPIC_PREFIX).
*/}}
{{- define "flowgate.topicPrefix" -}}
{{- default (printf "flowgate.%s." .Values.colour) .Values.topicPrefix }}
{{- end }}

{{/*
Image of a component. Call with (dict "ctx" $ "component" "gateway").
*/}}
{{- define "flowgate.image" -}}
{{- $values := index .ctx.Values .component }}
{{- $tag := $values.image.tag | default .ctx.Values.image.tag | default .ctx.Chart.AppVersion }}
{{- if .ctx.Values.image.registry }}
{{- printf "%s/%s:%s" (trimSuffix "/" .ctx.Values.image.registry) $values.image.repository $tag }}
{{- else }}
{{- printf "%s:%s" $values.image.repository $tag }}
{{- end }}
{{- end }}

{{/*
Seconds a pod gets to drain after SIGTERM: longer than the longest request deadline.
*/}}
{{- define "flowgate.terminationGracePeriodSeconds" -}}
{{- add (div (add .Values.gateway.maxTimeoutMs 999) 1000) .Values.drainGraceSeconds }}
{{- end }}

{{/*
The Secret holding what the chart stores itself (Redis URL, SASL password), and whether there is
anything to store.
*/}}
{{- define "flowgate.secretName" -}}
{{- printf "%s-secrets" (include "flowgate.fullname" .) }}
{{- end }}
{{- define "flowgate.ownsSecret" -}}
{{- if or (not .Values.redis.existingSecret) (and .Values.kafka.sasl.enabled (not .Values.kafka.sasl.existingSecret)) (include "flowgate.adminTokenInSecret" .) }}true{{ end }}
{{- end }}
{{- define "flowgate.adminTokenInSecret" -}}
{{- if and (or .Values.gateway.enabled .Values.console.enabled) .Values.gateway.admin.token (not .Values.gateway.admin.existingSecret) }}true{{ end }}
{{- end }}

{{/*
Environment of every app container beyond the shared ConfigMap: the Kafka client's (below) and
the Redis URL (the app's own from redis.perApp, else the shared one).
Call with (dict "ctx" $ "component" "gateway").
*/}}
{{- define "flowgate.secretEnv" -}}
{{- $ := .ctx }}
{{- $own := get $.Values.redis.perApp .component | default dict }}
{{ include "flowgate.kafkaEnv" . }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      {{- if $own.existingSecret }}
      name: {{ $own.existingSecret }}
      key: {{ $own.existingSecretUrlKey | default "redis-url" }}
      {{- else if $.Values.redis.existingSecret }}
      name: {{ $.Values.redis.existingSecret }}
      key: {{ $.Values.redis.existingSecretUrlKey }}
      {{- else }}
      name: {{ include "flowgate.secretName" $ }}
      key: REDIS_URL
      {{- end }}
{{- end }}

{{/*
What a Kafka client of this release needs beyond the shared ConfigMap: the instance id (names it
in logs and Kafka client ids), the SASL user of its own (kafka.sasl.perApp) and password, and
extra CAs. The topics Job gets this and not the Redis URL: it talks only to Kafka.
Call with (dict "ctx" $ "component" "gateway").
*/}}
{{- define "flowgate.kafkaEnv" -}}
{{- $ := .ctx }}
- name: FLOWGATE_INSTANCE_ID
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- if $.Values.kafka.sasl.enabled }}
{{- with get $.Values.kafka.sasl.perApp .component }}
- name: KAFKA_SASL_USERNAME
  value: {{ .username | quote }}
{{- end }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      {{- include "flowgate.kafkaPasswordRef" . | nindent 6 }}
{{- end }}
{{- if $.Values.trustedCA.existingSecret }}
- name: NODE_EXTRA_CA_CERTS
  value: /etc/flowgate/ca/{{ $.Values.trustedCA.key }}
{{- end }}
{{- end }}

{{/*
`name:` and `key:` of the Secret with an app's SASL password: its own (kafka.sasl.perApp), else
the shared one. Call with (dict "ctx" $ "component" "gateway").
*/}}
{{- define "flowgate.kafkaPasswordRef" -}}
{{- $ := .ctx }}
{{- $own := get $.Values.kafka.sasl.perApp .component | default dict }}
{{- if $own.existingSecret }}
name: {{ $own.existingSecret }}
key: {{ $own.existingSecretPasswordKey | default "password" }}
{{- else if $.Values.kafka.sasl.existingSecret }}
name: {{ $.Values.kafka.sasl.existingSecret }}
key: {{ $.Values.kafka.sasl.existingSecretPasswordKey }}
{{- else }}
name: {{ include "flowgate.secretName" $ }}
key: KAFKA_SASL_PASSWORD
{{- end }}
{{- end }}

{{/*
Pod-level settings shared by every flowgate pod. Call with (dict "ctx" $ "component" "gateway").
*/}}
{{- define "flowgate.podSettings" -}}
{{- $values := index .ctx.Values .component -}}
automountServiceAccountToken: false
# Service links would put e.g. FLOWGATE_GATEWAY_PORT=tcp://… (from a Service named
# flowgate-gateway) into the environment, which the apps' config check rejects.
enableServiceLinks: false
terminationGracePeriodSeconds: {{ include "flowgate.terminationGracePeriodSeconds" .ctx }}
{{- with .ctx.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .ctx.Values.podSecurityContext | nindent 2 }}
{{- with $values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Volumes of every flowgate pod: /tmp (the root filesystem is read-only) and the extra CAs.
*/}}
{{- define "flowgate.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- if .Values.trustedCA.existingSecret }}
- name: trusted-ca
  secret:
    secretName: {{ .Values.trustedCA.existingSecret }}
{{- end }}
{{- end }}

{{- define "flowgate.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.trustedCA.existingSecret }}
- name: trusted-ca
  mountPath: /etc/flowgate/ca
  readOnly: true
{{- end }}
{{- end }}

{{/*
Pod annotations: the config checksum rolls the pods when the ConfigMap or the chart's Secret
changes (the apps read their environment once, at boot).
*/}}
{{- define "flowgate.podAnnotations" -}}
{{- $values := index .ctx.Values .component -}}
checksum/config: {{ include (print .ctx.Template.BasePath "/configmap.yaml") .ctx | sha256sum }}
checksum/secret: {{ include (print .ctx.Template.BasePath "/secret.yaml") .ctx | sha256sum }}
{{- with $values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Checks across values that the schema cannot express.
*/}}
{{- define "flowgate.validate" -}}
{{- $reply := int .Values.kafka.replyPartitions }}
{{- if .Values.gateway.enabled }}
{{- $most := ternary .Values.gateway.autoscaling.maxReplicas .Values.gateway.replicas .Values.gateway.autoscaling.enabled | int }}
{{- if gt (add $most 1) $reply }}
{{- fail (printf "gateway: %d gateways plus one rollout surge need %d reply partitions, kafka.replyPartitions is %d (each gateway leases one)" $most (add $most 1) $reply) }}
{{- end }}
{{- end }}
{{- if and .Values.processor.enabled .Values.processor.autoscaling.enabled }}
{{- if gt (int .Values.processor.autoscaling.maxReplicaCount) (int .Values.kafka.requestPartitions) }}
{{- fail (printf "processor.autoscaling.maxReplicaCount %d is above kafka.requestPartitions %d: the extra processors would sit idle" (int .Values.processor.autoscaling.maxReplicaCount) (int .Values.kafka.requestPartitions)) }}
{{- end }}
{{- end }}
{{- if and .Values.kafka.sasl.enabled (not .Values.kafka.sasl.existingSecret) (not .Values.kafka.sasl.password) }}
{{- fail "kafka.sasl.enabled needs kafka.sasl.existingSecret (preferred) or kafka.sasl.password" }}
{{- end }}
{{- $auth := .Values.gateway.auth }}
{{- if and (eq $auth.mode "api-key") (not $auth.apiKey.existingSecret) }}
{{- fail "gateway.auth.mode=api-key needs gateway.auth.apiKey.existingSecret (a Secret with the key file)" }}
{{- end }}
{{- if eq $auth.mode "jwt" }}
{{- $missing := list }}
{{- range $name := list "jwksUrl" "issuer" "audience" }}
{{- if not (index $auth.jwt $name) }}{{ $missing = append $missing (printf "gateway.auth.jwt.%s" $name) }}{{ end }}
{{- end }}
{{- if $missing }}
{{- fail (printf "gateway.auth.mode=jwt needs %s" (join ", " $missing)) }}
{{- end }}
{{- end }}
{{- if and .Values.console.enabled (not .Values.gateway.admin.existingSecret) (not .Values.gateway.admin.token) }}
{{- fail "console.enabled needs the admin token, gateway.admin.existingSecret (preferred) or gateway.admin.token: the console never runs without it" }}
{{- end }}
{{- if lt (int .Values.gateway.http.requestTimeoutMs) (int .Values.gateway.http.headersTimeoutMs) }}
{{- fail "gateway.http.requestTimeoutMs must be at least gateway.http.headersTimeoutMs: the headers are part of the request" }}
{{- end }}
{{- if eq (int .Values.gateway.adminPort) (int .Values.gateway.port) }}
{{- fail "gateway.adminPort must differ from gateway.port: internal endpoints stay off the public port" }}
{{- end }}
{{- end }}

{{/*
The script admin API's token (gateway.admin) as FLOWGATE_ADMIN_TOKEN, from an existing Secret or
the chart's; nothing without one (the admin API is then off). Call with the root context.
*/}}
{{- define "flowgate.gatewayAdminEnv" -}}
{{- $admin := .Values.gateway.admin -}}
{{- if or $admin.existingSecret $admin.token }}
- name: FLOWGATE_ADMIN_TOKEN
  valueFrom:
    secretKeyRef:
      {{- if $admin.existingSecret }}
      name: {{ $admin.existingSecret }}
      key: {{ $admin.existingSecretKey }}
      {{- else }}
      name: {{ include "flowgate.secretName" . }}
      key: FLOWGATE_ADMIN_TOKEN
      {{- end }}
{{- end }}
{{- end }}

{{/*
The gateway's caller authentication (README "Security"): FLOWGATE_AUTH and the settings of its
mode only, since the gateway refuses settings of another mode. Call with the root context.
*/}}
{{- define "flowgate.gatewayAuthEnv" -}}
{{- $auth := .Values.gateway.auth -}}
- name: FLOWGATE_AUTH
  value: {{ $auth.mode | quote }}
{{- if eq $auth.mode "api-key" }}
- name: FLOWGATE_API_KEYS_FILE
  value: /etc/flowgate/api-keys/{{ $auth.apiKey.existingSecretKey }}
- name: FLOWGATE_API_KEY_HEADER
  value: {{ $auth.apiKey.header | quote }}
- name: FLOWGATE_API_KEYS_RELOAD_MS
  value: {{ $auth.apiKey.reloadMs | int64 | quote }}
{{- else if eq $auth.mode "jwt" }}
- name: FLOWGATE_JWT_JWKS_URL
  value: {{ $auth.jwt.jwksUrl | quote }}
- name: FLOWGATE_JWT_ISSUER
  value: {{ $auth.jwt.issuer | quote }}
- name: FLOWGATE_JWT_AUDIENCE
  value: {{ $auth.jwt.audience | quote }}
- name: FLOWGATE_JWT_CALLER_CLAIM
  value: {{ $auth.jwt.callerClaim | quote }}
- name: FLOWGATE_JWT_CLOCK_SKEW_S
  value: {{ $auth.jwt.clockSkewSeconds | int64 | quote }}
- name: FLOWGATE_JWT_ALGORITHMS
  value: {{ $auth.jwt.algorithms | quote }}
{{- end }}
{{- end }}

{{/*
Whether KEDA's Kafka scaler needs a TriggerAuthentication: SASL credentials or a TLS CA.
*/}}
{{- define "flowgate.kedaNeedsAuth" -}}
{{- if or .Values.kafka.sasl.enabled (and .Values.kafka.tls.enabled .Values.trustedCA.existingSecret) }}true{{ end }}
{{- end }}

{{/*
Label matchers of one component's series in this release's alerts: the ServiceMonitor's
targets carry the namespace and, as job, the Service name. Call with (dict "ctx" $ "component" "gateway").
*/}}
{{- define "flowgate.alertSelector" -}}
namespace="{{ .ctx.Release.Namespace }}", job="{{ include "flowgate.componentFullname" . }}"
{{- end }}
