{{/*
Chart name.
*/}}
{{- define "flowgate-router.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name, the Service's name: the release name, with the chart name added unless the release
name already contains it (flowgate-router -> flowgate-router).
*/}}
{{- define "flowgate-router.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "flowgate-router.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of the router's own resources.
*/}}
{{- define "flowgate-router.labels" -}}
helm.sh/chart: {{ include "flowgate-router.chart" . }}
{{ include "flowgate-router.selectorLabels" . }}
app.kubernetes.io/component: router
app.kubernetes.io/part-of: flowgate
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels of the router's own resources (it runs no pods; kept for tooling that groups
resources by these).
*/}}
{{- define "flowgate-router.selectorLabels" -}}
app.kubernetes.io/name: {{ include "flowgate-router.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
What the Service selects: the gateways of the active colour, whichever release runs them.
*/}}
{{- define "flowgate-router.gatewaySelector" -}}
app.kubernetes.io/name: {{ .Values.gatewayName }}
flowgate.io/colour: {{ .Values.activeColour }}
{{- end }}
