{{/* Names and labels of the home's objects. */}}
{{- define "home.name" -}}
{{- printf "%s" .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{- define "home.id" -}}
{{- regexReplaceAll "[^a-z0-9_]" (lower .Release.Name) "_" | trunc 40 -}}
{{- end -}}

{{- define "home.labels" -}}
app.kubernetes.io/name: homesim
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "home.selector" -}}
app.kubernetes.io/name: homesim
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "home.secret" -}}
{{- default (printf "%s-credentials" (include "home.name" .)) .Values.existingSecret -}}
{{- end -}}

{{/* The home file (the devices come from the Device objects too, for the processes). */}}
{{- define "home.file" -}}
{{- $home := deepCopy .Values.home -}}
{{- $_ := set $home "devices" .Values.devices -}}
{{- toYaml $home -}}
{{- end -}}

{{/* Devices with a router role of their own (not the kinds that join as a service: _kinds.tpl). */}}
{{- define "home.deviceRoles" -}}
{{- $ids := list -}}
{{- $services := splitList " " (include "home.serviceKinds" .) -}}
{{- range .Values.devices -}}
{{- if not (has .kind $services) -}}{{- $ids = append $ids .id -}}{{- end -}}
{{- end -}}
{{- join "," $ids -}}
{{- end -}}
