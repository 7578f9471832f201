{{/*
Expand the name of the chart.
*/}}
{{- define "vmeste.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
A default fully qualified app name, truncated at 63 characters (DNS names). A release
name that contains the chart name is used as is.
*/}}
{{- define "vmeste.fullname" -}}
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
The name of one component's resources: (dict "root" $ "suffix" "api").
*/}}
{{- define "vmeste.componentName" -}}
{{- printf "%s-%s" (include "vmeste.fullname" .root) .suffix | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Chart name and version, for the chart label.
*/}}
{{- define "vmeste.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels of a component: (dict "root" $ "component" "worker" "group" "deliveries");
"group" only for worker groups, so that no two Deployments select each other's pods.
*/}}
{{- define "vmeste.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vmeste.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- with .group }}
worker-group: {{ . }}
{{- end }}
{{- end }}

{{/*
Common labels: (dict "root" $ "component" "api"), or (dict "root" $) for what no one
component owns.
*/}}
{{- define "vmeste.labels" -}}
helm.sh/chart: {{ include "vmeste.chart" .root }}
{{ include "vmeste.selectorLabels" . }}
{{- if .root.Chart.AppVersion }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/part-of: vmeste
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end }}

{{/*
The service account the pods run as.
*/}}
{{- define "vmeste.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vmeste.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The image: repository@digest when a digest is given, else repository:tag (the chart's
appVersion by default).
*/}}
{{- define "vmeste.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The API's container port, and where the processes of a pod share their metrics.
*/}}
{{- define "vmeste.apiPort" -}}8000{{- end }}
{{- define "vmeste.metricsDir" -}}/tmp/metrics{{- end }}

{{/*
The settings that are secrets: never in the ConfigMap (values.schema.json refuses them
under `config` too; this catches a render that skipped the schema).
*/}}
{{- define "vmeste.secretNames" -}}
["VMESTE_DATABASE_URL", "VMESTE_BROKER_URL", "VMESTE_SECRET_KEY", "VMESTE_SMTP_URL", "VMESTE_RATE_LIMIT_STORAGE_URL"]
{{- end }}

{{/*
The ConfigMap's data: `config`, plus the variables the chart's own wiring decides.
*/}}
{{- define "vmeste.configData" -}}
{{- $secretNames := include "vmeste.secretNames" . | fromJsonArray }}
{{- $owned := dict "VMESTE_HEALTH_PORT" (toString .Values.health.port) "PROMETHEUS_MULTIPROC_DIR" (include "vmeste.metricsDir" .) }}
{{- range $name, $value := .Values.config }}
{{- if has $name $secretNames }}
{{- fail (printf "config.%s is a secret: put it in `secrets` or in the existingSecret" $name) }}
{{- end }}
{{- if hasKey $owned $name }}
{{- fail (printf "config.%s is set by the chart (health.port, the metrics volume)" $name) }}
{{- end }}
{{- end }}
{{- range $name, $value := merge $owned .Values.config }}
{{ $name }}: {{ toString $value | quote }}
{{- end }}
{{- end }}

{{/*
The chart-created Secret's data.
*/}}
{{- define "vmeste.secretData" -}}
{{- range $name, $value := .Values.secrets }}
{{ $name }}: {{ toString $value | quote }}
{{- end }}
{{- end }}

{{/*
The Secret the pods read: the existingSecret, or the one the chart creates.
*/}}
{{- define "vmeste.secretName" -}}
{{- default (include "vmeste.fullname" .) .Values.existingSecret }}
{{- end }}

{{/*
Hook annotations of what the migration Job needs before the release's ordinary
resources exist: (dict "weight" "-5" "policy" "before-hook-creation").
*/}}
{{- define "vmeste.hookAnnotations" -}}
helm.sh/hook: pre-install,pre-upgrade
helm.sh/hook-weight: {{ .weight | quote }}
helm.sh/hook-delete-policy: {{ .policy }}
{{- end }}

{{/*
A pod template: (dict "root" $ "component" "api" "group" "" "spec" .Values.api
"args" (list …) "ports" (list …) "metricsPort" 8000 "configName" … "secretName" …
"serviceAccount" … "restartPolicy" "Never"); the last two are optional. `spec` is the component's values: resources, probes,
terminationGracePeriodSeconds, preStopSleepSeconds, nodeSelector, tolerations,
affinity, topologySpreadConstraints.
*/}}
{{- define "vmeste.podTemplate" -}}
{{- $root := .root }}
{{- $spec := .spec }}
{{- $labels := dict "root" $root "component" .component "group" .group -}}
metadata:
  annotations:
    checksum/config: {{ include "vmeste.configData" $root | sha256sum }}
    {{- if not $root.Values.existingSecret }}
    checksum/secret: {{ include "vmeste.secretData" $root | sha256sum }}
    {{- end }}
    {{- if and $root.Values.metrics.podAnnotations .metricsPort }}
    prometheus.io/scrape: "true"
    prometheus.io/port: {{ .metricsPort | quote }}
    prometheus.io/path: /metrics
    {{- end }}
    {{- with $root.Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  labels:
    {{- include "vmeste.labels" $labels | nindent 4 }}
    {{- with $root.Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  {{- with $root.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  serviceAccountName: {{ .serviceAccount | default (include "vmeste.serviceAccountName" $root) }}
  automountServiceAccountToken: false
  enableServiceLinks: false
  securityContext:
    {{- toYaml $root.Values.podSecurityContext | nindent 4 }}
  {{- with .restartPolicy }}
  restartPolicy: {{ . }}
  {{- end }}
  {{- with $spec.terminationGracePeriodSeconds }}
  terminationGracePeriodSeconds: {{ . }}
  {{- end }}
  containers:
    - name: {{ .component }}
      image: {{ include "vmeste.image" $root | quote }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      command: ["vmeste"]
      args:
        {{- range .args }}
        - {{ toString . | quote }}
        {{- end }}
      securityContext:
        {{- toYaml $root.Values.securityContext | nindent 8 }}
      {{- with .ports }}
      ports:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      envFrom:
        - configMapRef:
            name: {{ .configName }}
        - secretRef:
            name: {{ .secretName }}
      {{- with $root.Values.extraEnv }}
      env:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- range $probe := list "startupProbe" "livenessProbe" "readinessProbe" }}
      {{- with index $spec $probe }}
      {{ $probe }}:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- end }}
      {{- with $spec.preStopSleepSeconds }}
      lifecycle:
        preStop:
          exec:
            command: ["sleep", {{ . | quote }}]
      {{- end }}
      {{- with $spec.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        - name: metrics
          mountPath: {{ include "vmeste.metricsDir" $root }}
        {{- with $root.Values.volumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: {{ $root.Values.tmpVolume.sizeLimit }}
    - name: metrics
      emptyDir:
        sizeLimit: {{ $root.Values.tmpVolume.sizeLimit }}
    {{- with $root.Values.volumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with ($spec.nodeSelector | default $root.Values.nodeSelector) }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with ($spec.affinity | default $root.Values.affinity) }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with ($spec.tolerations | default $root.Values.tolerations) }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $spec.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- range . }}
    {{- $selector := dict "labelSelector" (dict "matchLabels" (include "vmeste.selectorLabels" $labels | fromYaml)) }}
    - {{- toYaml (merge (deepCopy .) $selector) | nindent 6 }}
    {{- end }}
  {{- end }}
{{- end }}

{{/*
A PodDisruptionBudget: (dict "root" $ "component" "api" "budget" .Values.api.podDisruptionBudget).
*/}}
{{- define "vmeste.pdb" -}}
{{- $labels := dict "root" .root "component" .component -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "vmeste.componentName" (dict "root" .root "suffix" .component) }}
  labels:
    {{- include "vmeste.labels" $labels | nindent 4 }}
spec:
  {{- if hasKey .budget "minAvailable" }}
  minAvailable: {{ .budget.minAvailable }}
  {{- else }}
  maxUnavailable: {{ .budget.maxUnavailable | default 1 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "vmeste.selectorLabels" $labels | nindent 6 }}
{{- end }}

{{/*
Which copies of a resource the migration Job needs besides the pods' own: [false]
(the ordinary resource), plus true (its copy as a pre-install/pre-upgrade hook, as hooks
run before the release's ordinary resources exist) while migrations are on.
*/}}
{{- define "vmeste.copies" -}}
{{- ternary "[false, true]" "[false]" .Values.migrations.enabled }}
{{- end }}

{{/*
The metadata of one copy: (dict "root" $ "hook" true "name" … "annotations" {…}). The
hook copy is named <fullname>-migrate and deleted once every hook has succeeded.
*/}}
{{- define "vmeste.copyMetadata" -}}
{{- if .hook }}
name: {{ include "vmeste.componentName" (dict "root" .root "suffix" "migrate") }}
{{- else }}
name: {{ .name }}
{{- end }}
labels:
  {{- include "vmeste.labels" (dict "root" .root "component" (ternary "migrate" "" .hook)) | nindent 2 }}
{{- if or .hook .annotations }}
annotations:
  {{- if .hook }}
  {{- include "vmeste.hookAnnotations" (dict "weight" "-5" "policy" "before-hook-creation,hook-succeeded") | nindent 2 }}
  {{- end }}
  {{- with .annotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
{{- end }}
