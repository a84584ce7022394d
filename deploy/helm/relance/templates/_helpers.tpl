{{/*
Names and labels, as `helm create` makes them, so the objects look like every other chart's.
*/}}
{{- define "relance.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "relance.fullname" -}}
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

{{- define "relance.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "relance.labels" -}}
helm.sh/chart: {{ include "relance.chart" . }}
app.kubernetes.io/name: {{ include "relance.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: relance
{{- end }}

{{- define "relance.selectorLabels" -}}
app.kubernetes.io/name: {{ include "relance.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "relance.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "relance.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
What the chart knows about each service and that no values file may change: its port (DESIGN §10,
fixed so that scripts and docs can rely on it), which services it calls (its gRPC clients, the
network policy edges), the variable prefix under which its callers find it, and its database.
*/}}
{{- define "relance.components" -}}
edgeHttp:
  component: edge-http
  port: 8080
  calls: [cartService, transactionService, segmentService]
  defaultDatabase: relance_edge
cartService:
  component: cart-service
  port: 8081
  calls: []
  clientPrefix: RELANCE_CART
  defaultDatabase: relance_cart
transactionService:
  component: transaction-service
  port: 8082
  calls: [cartService]
  clientPrefix: RELANCE_TRANSACTION
  defaultDatabase: relance_transaction
segmentService:
  component: segment-service
  port: 8083
  calls: [cartService, transactionService]
  clientPrefix: RELANCE_SEGMENT
  defaultDatabase: relance_segment
{{- end }}

{{/* The object name of one service: <fullname>-cart-service. */}}
{{- define "relance.componentName" -}}
{{- $c := index (include "relance.components" .root | fromYaml) .key }}
{{- printf "%s-%s" (include "relance.fullname" .root | trunc 45 | trimSuffix "-") $c.component }}
{{- end }}

{{/* Labels that pick one service's pods; network policies and Services select on them. */}}
{{- define "relance.componentSelectorLabels" -}}
{{- $c := index (include "relance.components" .root | fromYaml) .key }}
{{- include "relance.selectorLabels" .root }}
app.kubernetes.io/component: {{ $c.component }}
{{- end }}

{{- define "relance.componentLabels" -}}
{{- $c := index (include "relance.components" .root | fromYaml) .key }}
{{- include "relance.labels" .root }}
app.kubernetes.io/component: {{ $c.component }}
{{- end }}

{{/* Label of the `helm test` pod, which the internal services let in to ask for their health. */}}
{{- define "relance.testSelectorLabels" -}}
{{- include "relance.selectorLabels" . }}
app.kubernetes.io/component: chart-test
{{- end }}

{{/* image reference: registry/repository:tag, or @digest when a digest is given. */}}
{{- define "relance.image" -}}
{{- $root := .root }}
{{- $image := .image }}
{{- $registry := $root.Values.image.registry | trimSuffix "/" }}
{{- $ref := ternary $image.repository (printf "%s/%s" $registry $image.repository) (empty $registry) }}
{{- if $image.digest }}
{{- printf "%s@%s" $ref $image.digest }}
{{- else }}
{{- printf "%s:%s" $ref (default (default $root.Chart.AppVersion $root.Values.image.tag) $image.tag) }}
{{- end }}
{{- end }}

{{/*
The database of one service: its own block's fields win over the shared `database` block.
Returns YAML: host, port, name, existingSecret, usernameKey, passwordKey.
*/}}
{{- define "relance.database" -}}
{{- $c := index (include "relance.components" .root | fromYaml) .key }}
{{- $shared := .root.Values.database }}
{{- $own := (index .root.Values .key).database }}
host: {{ default $shared.host $own.host | required (printf "database.host (or %s.database.host) is required: the services need an external PostgreSQL" .key) | quote }}
port: {{ default $shared.port $own.port }}
name: {{ default $c.defaultDatabase $own.name | quote }}
existingSecret: {{ default $shared.existingSecret $own.existingSecret | required (printf "database.existingSecret (or %s.database.existingSecret) is required: the chart never holds the database password" .key) | quote }}
usernameKey: {{ default $shared.usernameKey $own.usernameKey | quote }}
passwordKey: {{ default $shared.passwordKey $own.passwordKey | quote }}
{{- end }}

{{/* The public URL of the edge: set explicitly, or the first Ingress host. */}}
{{- define "relance.edgePublicUrl" -}}
{{- if .Values.edgeHttp.publicUrl }}
{{- .Values.edgeHttp.publicUrl | trimSuffix "/" }}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts }}
{{- $host := (first .Values.ingress.hosts).host }}
{{- $tls := false }}
{{- range .Values.ingress.tls }}{{ if has $host .hosts }}{{ $tls = true }}{{ end }}{{ end }}
{{- printf "%s://%s" (ternary "https" "http" $tls) $host }}
{{- end }}
{{- end }}
