{{/*
Everything one service needs: ConfigMap, Deployment, Service, HorizontalPodAutoscaler,
PodDisruptionBudget and NetworkPolicy. Each service's template file calls it with its values key,
so the four services cannot drift apart in security, probes or shutdown.
Call: include "relance.service" (dict "root" $ "key" "cartService")
*/}}
{{- define "relance.service" -}}
{{- $root := .root }}
{{- $key := .key }}
{{- $all := include "relance.components" $root | fromYaml }}
{{- $c := index $all $key }}
{{- $v := index $root.Values $key }}
{{- if $v.enabled }}
{{- range $c.calls }}
{{- if not (index $root.Values .).enabled }}
{{- fail (printf "%s calls %s: enable %s too (%s.enabled)" $key . . .) }}
{{- end }}
{{- end }}
{{- $name := include "relance.componentName" (dict "root" $root "key" $key) }}
{{- $db := include "relance.database" (dict "root" $root "key" $key) | fromYaml }}
{{- $shutdown := $root.Values.shutdown }}
{{- if lt (int $shutdown.terminationGracePeriodSeconds) (add $shutdown.preStopSleepSeconds $shutdown.timeoutSeconds 5 | int) }}
{{- fail "shutdown.terminationGracePeriodSeconds must be at least preStopSleepSeconds + timeoutSeconds + 5, or the kubelet kills a pod that is still draining" }}
{{- end }}
{{- $config := include "relance.serviceConfig" (dict "root" $root "key" $key "db" $db) }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $name }}
  labels:
    {{- include "relance.componentLabels" (dict "root" $root "key" $key) | nindent 4 }}
data:
  {{- $config | nindent 2 }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  labels:
    {{- include "relance.componentLabels" (dict "root" $root "key" $key) | nindent 4 }}
spec:
  {{- if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicaCount }}
  {{- end }}
  revisionHistoryLimit: {{ $root.Values.revisionHistoryLimit }}
  selector:
    matchLabels:
      {{- include "relance.componentSelectorLabels" (dict "root" $root "key" $key) | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      # A new pod is ready before an old one goes: capacity never drops during an upgrade.
      maxSurge: 25%
      maxUnavailable: 0
  template:
    metadata:
      labels:
        {{- include "relance.componentSelectorLabels" (dict "root" $root "key" $key) | nindent 8 }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        # A changed setting rolls the pods: environment variables are only read at start.
        checksum/config: {{ $config | sha256sum }}
        {{- if $root.Values.metrics.podAnnotations }}
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ $c.port | quote }}
        prometheus.io/path: /q/metrics
        {{- end }}
        {{- with $root.Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "relance.serviceAccountName" $root }}
      # The services never call the Kubernetes API: no token in the pod.
      automountServiceAccountToken: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      # preStop sleep + Quarkus's own shutdown timeout + a margin: the kubelet must not kill a pod
      # that is still finishing its calls (the template refuses a smaller value).
      terminationGracePeriodSeconds: {{ $shutdown.terminationGracePeriodSeconds }}
      containers:
        - name: {{ $c.component }}
          image: {{ include "relance.image" (dict "root" $root "image" $v.image) | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ $c.port }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ $name }}
          env:
            - name: RELANCE_DB_USERNAME
              valueFrom:
                secretKeyRef:
                  name: {{ $db.existingSecret }}
                  key: {{ $db.usernameKey }}
            - name: RELANCE_DB_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {{ $db.existingSecret }}
                  key: {{ $db.passwordKey }}
            - name: RELANCE_GRPC_TOKEN
              valueFrom:
                secretKeyRef:
                  name: {{ $root.Values.secrets.existingSecret }}
                  key: {{ $root.Values.secrets.grpcTokenKey }}
            {{- if eq $key "edgeHttp" }}
            {{- /* Both names: the contract's, and the one the edge's relance.edge.* mapping reads
                   today (RELANCE_EDGE_*), until the edge settles on one. */}}
            {{- range list "RELANCE_ADMIN_TOKEN" "RELANCE_EDGE_ADMIN_TOKEN" }}
            - name: {{ . }}
              valueFrom:
                secretKeyRef:
                  name: {{ $root.Values.secrets.existingSecret }}
                  key: {{ $root.Values.secrets.adminTokenKey }}
            {{- end }}
            {{- range list "RELANCE_LINK_SECRET" "RELANCE_EDGE_LINK_SECRET" }}
            - name: {{ . }}
              valueFrom:
                secretKeyRef:
                  name: {{ $root.Values.secrets.existingSecret }}
                  key: {{ $root.Values.secrets.linkSecretKey }}
            {{- end }}
            {{- end }}
            {{- if eq $key "segmentService" }}
            - name: RELANCE_LINK_SECRET
              valueFrom:
                secretKeyRef:
                  name: {{ $root.Values.secrets.existingSecret }}
                  key: {{ $root.Values.secrets.linkSecretKey }}
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          # Start-up runs the Flyway migrations before the port opens: a long migration is given
          # time here instead of being killed by the liveness probe.
          startupProbe:
            httpGet:
              path: /q/health/live
              port: http
            periodSeconds: {{ $root.Values.probes.startup.periodSeconds }}
            timeoutSeconds: {{ $root.Values.probes.startup.timeoutSeconds }}
            failureThreshold: {{ $root.Values.probes.startup.failureThreshold }}
          livenessProbe:
            httpGet:
              path: /q/health/live
              port: http
            periodSeconds: {{ $root.Values.probes.liveness.periodSeconds }}
            timeoutSeconds: {{ $root.Values.probes.liveness.timeoutSeconds }}
            failureThreshold: {{ $root.Values.probes.liveness.failureThreshold }}
          # Ready includes the database check: a pod that lost PostgreSQL leaves the endpoints.
          readinessProbe:
            httpGet:
              path: /q/health/ready
              port: http
            periodSeconds: {{ $root.Values.probes.readiness.periodSeconds }}
            timeoutSeconds: {{ $root.Values.probes.readiness.timeoutSeconds }}
            failureThreshold: {{ $root.Values.probes.readiness.failureThreshold }}
          lifecycle:
            preStop:
              # Endpoint removal reaches kube-proxy, ingress controllers and gRPC clients a few
              # seconds after the pod is marked terminating; keep serving until they have let go,
              # then Quarkus stops taking calls and finishes the ones in flight.
              exec:
                command: ["sleep", {{ $shutdown.preStopSleepSeconds | quote }}]
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          volumeMounts:
            # The root file system is read-only; Vert.x, Netty and the JVM write only under /tmp.
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: {{ $root.Values.tmpSizeLimit }}
      {{- $spread := $v.topologySpreadConstraints }}
      {{- if and (not $spread) $root.Values.topologySpread.enabled }}
      {{- $spread = list }}
      {{- range $root.Values.topologySpread.topologyKeys }}
      {{- $spread = append $spread (dict "maxSkew" $root.Values.topologySpread.maxSkew "topologyKey" . "whenUnsatisfiable" $root.Values.topologySpread.whenUnsatisfiable "labelSelector" (dict "matchLabels" (include "relance.componentSelectorLabels" (dict "root" $root "key" $key) | fromYaml))) }}
      {{- end }}
      {{- end }}
      {{- with $spread }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with (default $root.Values.nodeSelector $v.nodeSelector) }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with (default $root.Values.tolerations $v.tolerations) }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with (default $root.Values.affinity $v.affinity) }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  labels:
    {{- include "relance.componentLabels" (dict "root" $root "key" $key) | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "relance.componentSelectorLabels" (dict "root" $root "key" $key) | nindent 4 }}
  ports:
    # gRPC and HTTP share this one port (HTTP/2 and HTTP/1.1 on the same Vert.x server).
    - name: http
      port: {{ $c.port }}
      targetPort: http
      protocol: TCP
{{- if $v.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $name }}
  labels:
    {{- include "relance.componentLabels" (dict "root" $root "key" $key) | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $name }}
  minReplicas: {{ $v.autoscaling.minReplicas }}
  maxReplicas: {{ $v.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $v.autoscaling.targetCPUUtilizationPercentage }}
    {{- with $v.autoscaling.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
{{- end }}
{{- if $v.pdb.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $name }}
  labels:
    {{- include "relance.componentLabels" (dict "root" $root "key" $key) | nindent 4 }}
spec:
  # maxUnavailable, not minAvailable: with one replica a node drain can still proceed.
  maxUnavailable: {{ $v.pdb.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "relance.componentSelectorLabels" (dict "root" $root "key" $key) | nindent 6 }}
{{- end }}
{{- if $root.Values.networkPolicy.enabled }}
---
{{ include "relance.networkPolicy" (dict "root" $root "key" $key) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The non-secret settings of one service, as environment variables (the services' READMEs list
them). Secrets never come here: they are secretKeyRefs on the container.
*/}}
{{- define "relance.serviceConfig" -}}
{{- $root := .root }}
{{- $key := .key }}
{{- $db := .db }}
{{- $all := include "relance.components" $root | fromYaml }}
{{- $c := index $all $key }}
{{- $v := index $root.Values $key }}
{{- $data := dict
  "QUARKUS_HTTP_PORT" ($c.port | toString)
  "QUARKUS_SHUTDOWN_TIMEOUT" (printf "%ds" (int $root.Values.shutdown.timeoutSeconds))
  "RELANCE_DB_URL" (printf "postgresql://%s:%d/%s%s" $db.host (int $db.port) $db.name (ternary "" (printf "?sslmode=%s" ($root.Values.database.sslMode | default "disable")) (eq ($root.Values.database.sslMode | default "disable") "disable")))
  "RELANCE_LOG_JSON" ($root.Values.logJson | toString) }}
{{- with $root.Values.javaOptions }}
{{- $_ := set $data "JDK_JAVA_OPTIONS" . }}
{{- end }}
{{- range $c.calls }}
{{- $callee := index $all . }}
{{- $_ := set $data (printf "%s_HOST" $callee.clientPrefix) (include "relance.componentName" (dict "root" $root "key" .)) }}
{{- $_ := set $data (printf "%s_PORT" $callee.clientPrefix) ($callee.port | toString) }}
{{- end }}
{{- if eq $key "edgeHttp" }}
{{- with include "relance.edgePublicUrl" $root }}
{{- $_ := set $data "RELANCE_EDGE_PUBLIC_URL" . }}
{{- end }}
{{- end }}
{{- /* The operator's own settings win over the chart's. */}}
{{- range $k, $val := $v.env }}
{{- $_ := set $data $k ($val | toString) }}
{{- end }}
{{- toYaml $data }}
{{- end }}

{{/*
One service's NetworkPolicy. In: the edge from anywhere (or the peers listed), every other
service only from the services that call it (and the `helm test` pod, for its health). Out:
DNS, PostgreSQL, the services it calls, and for segment-service the webhook targets.
*/}}
{{- define "relance.networkPolicy" -}}
{{- $root := .root }}
{{- $key := .key }}
{{- $all := include "relance.components" $root | fromYaml }}
{{- $c := index $all $key }}
{{- $np := $root.Values.networkPolicy }}
{{- $db := include "relance.database" (dict "root" $root "key" $key) | fromYaml }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "relance.componentName" (dict "root" $root "key" $key) }}
  labels:
    {{- include "relance.componentLabels" (dict "root" $root "key" $key) | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "relance.componentSelectorLabels" (dict "root" $root "key" $key) | nindent 6 }}
  policyTypes: [Ingress, Egress]
  ingress:
    {{- if eq $key "edgeHttp" }}
    # The public surface: from anywhere, unless restricted to the ingress controller's pods.
    - ports:
        - port: {{ $c.port }}
          protocol: TCP
      {{- with $np.edgeHttp.from }}
      from:
        {{- toYaml . | nindent 8 }}
        - podSelector:
            matchLabels:
              {{- include "relance.testSelectorLabels" $root | nindent 14 }}
      {{- end }}
    {{- else }}
    - ports:
        - port: {{ $c.port }}
          protocol: TCP
      from:
        {{- range $callerKey, $caller := $all }}
        {{- if and (has $key $caller.calls) (index $root.Values $callerKey).enabled }}
        - podSelector:
            matchLabels:
              {{- include "relance.componentSelectorLabels" (dict "root" $root "key" $callerKey) | nindent 14 }}
        {{- end }}
        {{- end }}
        - podSelector:
            matchLabels:
              {{- include "relance.testSelectorLabels" $root | nindent 14 }}
    {{- end }}
    {{- with $np.metrics.from }}
    # Prometheus scrapes /q/metrics on the service's one port.
    - ports:
        - port: {{ $c.port }}
          protocol: TCP
      from:
        {{- toYaml . | nindent 8 }}
    {{- end }}
  egress:
    - ports:
        - port: 53
          protocol: UDP
        - port: 53
          protocol: TCP
      {{- with $np.dns.to }}
      to:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    - ports:
        - port: {{ $db.port }}
          protocol: TCP
      {{- with $np.database.to }}
      to:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- range $c.calls }}
    - ports:
        - port: {{ (index $all .).port }}
          protocol: TCP
      to:
        - podSelector:
            matchLabels:
              {{- include "relance.componentSelectorLabels" (dict "root" $root "key" .) | nindent 14 }}
    {{- end }}
    {{- if eq $key "segmentService" }}
    # Webhooks to the e-mail platform: HTTPS to hosts the chart cannot know in advance.
    - ports:
        {{- range $np.webhooks.ports }}
        - port: {{ . }}
          protocol: TCP
        {{- end }}
      {{- with $np.webhooks.to }}
      to:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- end }}
    {{- with $np.extraEgress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}
