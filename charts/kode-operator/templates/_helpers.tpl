{{/* Names: "<release>-<name>", as kustomize's namePrefix "kode-" gives with the release name "kode". */}}
{{- define "kode-operator.name" -}}
{{- printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kode-operator.labels" -}}
app.kubernetes.io/name: kode-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: kode-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "kode-operator.selector" -}}
app.kubernetes.io/name: kode-operator
app.kubernetes.io/component: manager
{{- end -}}

{{- define "kode-operator.serviceAccount" -}}
{{- include "kode-operator.name" (dict "root" . "name" "controller-manager") -}}
{{- end -}}
