package org.relance.deploy.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.relance.deploy.helm.Chart.at;
import static org.relance.deploy.helm.Chart.list;
import static org.relance.deploy.helm.Chart.name;

import com.marcnuri.helm.LintResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.relance.deploy.helm.Chart.Rendered;

/**
 * The Helm chart, rendered and linted for its defaults and every scenario of
 * {@code deploy/helm/relance/ci/}, with the properties an operator relies on asserted on the
 * rendered objects.
 */
class HelmChartTest {
    /** DESIGN §10. */
    private static final Map<String, Integer> PORTS = Map.of(
            "edge-http", 8080, "cart-service", 8081, "transaction-service", 8082, "segment-service", 8083);

    /** Who may call whom (DESIGN §2): the only edges the network policies may open between pods. */
    private static final Map<String, Set<String>> CALLERS = Map.of(
            "cart-service", Set.of("transaction-service", "segment-service", "edge-http"),
            "transaction-service", Set.of("segment-service", "edge-http"),
            "segment-service", Set.of("edge-http"));

    private static final Pattern SECRET_NAME = Pattern.compile("(?i).*(PASSWORD|TOKEN|SECRET).*");

    @TempDir
    Path work;

    static Stream<Arguments> scenarios() {
        List<Arguments> all = new ArrayList<>();
        all.add(Arguments.of("defaults", null));
        for (Path file : Chart.ciScenarios()) {
            all.add(Arguments.of(file.getFileName().toString(), file));
        }
        // The documented database recipes are values files too: they must render and lint.
        for (String recipe : List.of("cloudnativepg", "managed-postgresql")) {
            Path file = Chart.dir().resolveSibling("examples").resolve(recipe).resolve("values.yaml");
            all.add(Arguments.of("examples/" + recipe, file));
        }
        return all.stream();
    }

    private static Rendered render(Path scenario) {
        return scenario == null ? Chart.template() : Chart.template(scenario);
    }

    @Test
    void everyCiScenarioIsThere() {
        Set<String> names = Chart.ciScenarios().stream().map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        assertEquals(Set.of("minimal-values.yaml", "production-values.yaml", "external-db-values.yaml"), names);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void lintsStrictly(String label, Path scenario) {
        LintResult result = Chart.lintStrict(work, scenario);
        assertFalse(result.isFailed(), () -> label + ": " + result.getMessages());
        List<String> problems = result.getMessages().stream()
                .filter(m -> m.contains("[ERROR]") || m.contains("[WARNING]"))
                .toList();
        assertEquals(List.of(), problems, label);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void everyContainerIsLockedDownWithProbesAndResources(String label, Path scenario) {
        Rendered rendered = render(scenario);
        List<Map<String, Object>> deployments = rendered.ofKind("Deployment");
        assertEquals(4, deployments.size(), label);
        for (Map<String, Object> deployment : deployments) {
            Map<String, Object> pod = at(deployment, "spec", "template", "spec");
            String where = label + " " + name(deployment);
            assertEquals(Boolean.TRUE, at(pod, "securityContext", "runAsNonRoot"), where);
            assertEquals("RuntimeDefault", at(pod, "securityContext", "seccompProfile", "type"), where);
            assertEquals(Boolean.FALSE, at(pod, "automountServiceAccountToken"), where);
            List<Map<String, Object>> containers = list(pod, "containers");
            assertEquals(1, containers.size(), where);
            for (Map<String, Object> container : containers) {
                assertLockedDown(container, where);
                assertEquals("/q/health/live", at(container, "startupProbe", "httpGet", "path"), where);
                assertEquals("/q/health/live", at(container, "livenessProbe", "httpGet", "path"), where);
                assertEquals("/q/health/ready", at(container, "readinessProbe", "httpGet", "path"), where);
                assertNotNull(at(container, "resources", "requests", "cpu"), where);
                assertNotNull(at(container, "resources", "requests", "memory"), where);
                assertNotNull(at(container, "resources", "limits", "memory"), where);
                assertTmpIsAnEmptyDir(pod, container, where);
                List<String> preStop = at(container, "lifecycle", "preStop", "exec", "command");
                assertEquals("sleep", preStop.get(0), where);
            }
            int grace = at(pod, "terminationGracePeriodSeconds");
            int preStopSleep = Integer.parseInt(((List<String>) at(containers.get(0), "lifecycle", "preStop", "exec", "command")).get(1));
            String config = name(deployment);
            String timeout = at(rendered.named("ConfigMap", config), "data", "QUARKUS_SHUTDOWN_TIMEOUT");
            int timeoutSeconds = Integer.parseInt(timeout.replace("s", ""));
            assertTrue(grace >= preStopSleep + timeoutSeconds, where + ": grace " + grace + " < " + preStopSleep + " + " + timeoutSeconds);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void noSecretIsRenderedOnlyReferenced(String label, Path scenario) {
        Rendered rendered = render(scenario);
        assertEquals(List.of(), rendered.ofKind("Secret"), label);
        for (Map<String, Object> configMap : rendered.ofKind("ConfigMap")) {
            Map<String, Object> data = at(configMap, "data");
            for (String key : data.keySet()) {
                assertFalse(SECRET_NAME.matcher(key).matches(), label + " " + name(configMap) + " holds " + key);
            }
        }
        for (Map<String, Object> deployment : rendered.ofKind("Deployment")) {
            Map<String, Object> container = list(deployment, "spec", "template", "spec", "containers").get(0);
            Map<String, String> secretEnv = new TreeMap<>();
            for (Map<String, Object> env : list(container, "env")) {
                String variable = (String) env.get("name");
                if (SECRET_NAME.matcher(variable).matches()) {
                    assertNull(env.get("value"), label + ": " + variable + " given in plain text");
                    secretEnv.put(variable, at(env, "valueFrom", "secretKeyRef", "name"));
                }
            }
            Set<String> expected = new TreeSet<>(List.of("RELANCE_DB_PASSWORD", "RELANCE_GRPC_TOKEN"));
            String component = at(deployment, "metadata", "labels", "app.kubernetes.io/component");
            if (component.equals("edge-http")) {
                expected.addAll(List.of("RELANCE_ADMIN_TOKEN", "RELANCE_LINK_SECRET", "RELANCE_EDGE_ADMIN_TOKEN", "RELANCE_EDGE_LINK_SECRET"));
            }
            if (component.equals("segment-service")) {
                expected.add("RELANCE_LINK_SECRET");
            }
            assertEquals(expected, secretEnv.keySet(), label + " " + component);
            secretEnv.values().forEach(secret -> assertNotNull(secret, label + " " + component));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void servicesExposeOnePortEachAtTheDesignPorts(String label, Path scenario) {
        Rendered rendered = render(scenario);
        Map<String, Integer> ports = new HashMap<>();
        for (Map<String, Object> service : rendered.ofKind("Service")) {
            List<Map<String, Object>> servicePorts = list(service, "spec", "ports");
            assertEquals(1, servicePorts.size(), label + " " + name(service));
            assertEquals("ClusterIP", at(service, "spec", "type"), label);
            String component = at(service, "spec", "selector", "app.kubernetes.io/component");
            ports.put(component, (Integer) servicePorts.get(0).get("port"));
            Map<String, Object> deployment = rendered.named("Deployment", name(service));
            Map<String, Object> podLabels = at(deployment, "spec", "template", "metadata", "labels");
            assertTrue(podLabels.entrySet().containsAll(((Map<String, Object>) at(service, "spec", "selector")).entrySet()),
                    label + ": Service " + name(service) + " selects no pod of its Deployment");
            Map<String, Object> container = list(deployment, "spec", "template", "spec", "containers").get(0);
            assertEquals(servicePorts.get(0).get("port"), list(container, "ports").get(0).get("containerPort"), label);
            assertEquals(String.valueOf(servicePorts.get(0).get("port")),
                    at(rendered.named("ConfigMap", name(service)), "data", "QUARKUS_HTTP_PORT"), label);
        }
        assertEquals(PORTS, ports, label);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void networkPoliciesAllowExactlyTheCallsOfTheDesign(String label, Path scenario) {
        Rendered rendered = render(scenario);
        List<Map<String, Object>> policies = rendered.ofKind("NetworkPolicy");
        assertEquals(4, policies.size(), label);
        Map<String, Map<String, Object>> podLabelsByComponent = new HashMap<>();
        for (Map<String, Object> deployment : rendered.ofKind("Deployment")) {
            Map<String, Object> labels = at(deployment, "spec", "template", "metadata", "labels");
            podLabelsByComponent.put((String) labels.get("app.kubernetes.io/component"), labels);
        }
        Map<String, Set<String>> callers = new TreeMap<>();
        Map<String, Set<String>> callees = new TreeMap<>();
        for (Map<String, Object> policy : policies) {
            String target = componentSelected(podLabelsByComponent, at(policy, "spec", "podSelector", "matchLabels"), label);
            assertEquals(List.of("Ingress", "Egress"), at(policy, "spec", "policyTypes"), label);
            int port = PORTS.get(target);
            for (Map<String, Object> rule : list(policy, "spec", "ingress")) {
                assertEquals(List.of(port), list(rule, "ports").stream().map(p -> p.get("port")).toList(), label + " " + target);
                List<Map<String, Object>> from = list(rule, "from");
                if (target.equals("edge-http")) {
                    continue; // public: from anywhere or from the listed peers, checked below
                }
                assertFalse(from.isEmpty(), label + ": " + target + " reachable from anywhere");
                for (Map<String, Object> peer : from) {
                    Map<String, Object> selected = at(peer, "podSelector", "matchLabels");
                    if (selected == null || peer.containsKey("namespaceSelector") || peer.containsKey("ipBlock")) {
                        continue; // metrics scrapers of the scenario: another namespace, asserted below
                    }
                    String component = (String) selected.get("app.kubernetes.io/component");
                    if (component.equals("chart-test")) {
                        continue;
                    }
                    callers.computeIfAbsent(target, k -> new TreeSet<>())
                            .add(componentSelected(podLabelsByComponent, selected, label));
                }
            }
            for (Map<String, Object> rule : list(policy, "spec", "egress")) {
                for (Map<String, Object> peer : list(rule, "to")) {
                    Map<String, Object> selected = at(peer, "podSelector", "matchLabels");
                    if (selected != null && selected.containsKey("app.kubernetes.io/component") && !peer.containsKey("namespaceSelector")) {
                        String callee = componentSelected(podLabelsByComponent, selected, label);
                        assertEquals(List.of(PORTS.get(callee)), list(rule, "ports").stream().map(p -> p.get("port")).toList(), label);
                        callees.computeIfAbsent(target, k -> new TreeSet<>()).add(callee);
                    }
                }
            }
        }
        assertEquals(new TreeMap<>(CALLERS.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> new TreeSet<>(e.getValue())))),
                callers, label + ": pod-to-pod ingress");
        Map<String, Set<String>> expectedCallees = new TreeMap<>();
        CALLERS.forEach((callee, from) -> from.forEach(caller -> expectedCallees.computeIfAbsent(caller, k -> new TreeSet<>()).add(callee)));
        assertEquals(expectedCallees, callees, label + ": pod-to-pod egress");

        // Out of the cluster: only DNS, PostgreSQL and (segment-service) HTTPS webhooks.
        for (Map<String, Object> policy : policies) {
            String target = at(policy, "spec", "podSelector", "matchLabels", "app.kubernetes.io/component");
            Set<Integer> outsidePorts = new TreeSet<>();
            for (Map<String, Object> rule : list(policy, "spec", "egress")) {
                List<Map<String, Object>> to = list(rule, "to");
                boolean toOurPods = !to.isEmpty() && to.stream().allMatch(p -> at(p, "podSelector", "matchLabels", "app.kubernetes.io/component") != null
                        && !p.containsKey("namespaceSelector"));
                if (!toOurPods) {
                    list(rule, "ports").forEach(p -> outsidePorts.add((Integer) p.get("port")));
                }
                assertFalse(list(rule, "ports").isEmpty(), label + " " + target + ": an egress rule open on every port");
            }
            Set<Integer> expected = new TreeSet<>(Set.of(53, 5432));
            if (target.equals("segment-service")) {
                expected.add(443);
            }
            assertEquals(expected, outsidePorts, label + " " + target);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void everyHorizontalPodAutoscalerTargetsItsDeployment(String label, Path scenario) {
        Rendered rendered = render(scenario);
        for (Map<String, Object> hpa : rendered.ofKind("HorizontalPodAutoscaler")) {
            assertEquals("Deployment", at(hpa, "spec", "scaleTargetRef", "kind"), label);
            assertEquals("apps/v1", at(hpa, "spec", "scaleTargetRef", "apiVersion"), label);
            Map<String, Object> deployment = rendered.named("Deployment", at(hpa, "spec", "scaleTargetRef", "name"));
            assertNull(at(deployment, "spec", "replicas"), label + ": the HPA and the Deployment would fight over replicas");
            assertTrue((Integer) at(hpa, "spec", "minReplicas") <= (Integer) at(hpa, "spec", "maxReplicas"), label);
        }
        for (Map<String, Object> pdb : rendered.ofKind("PodDisruptionBudget")) {
            Map<String, Object> deployment = rendered.named("Deployment", name(pdb));
            assertEquals((Object) at(deployment, "spec", "selector", "matchLabels"), at(pdb, "spec", "selector", "matchLabels"), label);
        }
    }

    @Test
    void productionScenarioAutoscalesEveryServiceAndPublishesTheEdgeOverTls() {
        Rendered rendered = Chart.template(Chart.dir().resolve("ci/production-values.yaml"));
        assertEquals(4, rendered.ofKind("HorizontalPodAutoscaler").size());
        assertEquals(4, rendered.ofKind("PodDisruptionBudget").size());
        Map<String, Object> ingress = rendered.named("Ingress", "relance-edge-http");
        assertEquals("relance-edge-tls", list(ingress, "spec", "tls").get(0).get("secretName"));
        Map<String, Object> path = list(list(ingress, "spec", "rules").get(0), "http", "paths").get(0);
        assertEquals("relance-edge-http", at(path, "backend", "service", "name"));
        assertEquals(8080, (Integer) at(path, "backend", "service", "port", "number"));
        assertEquals("https://track.shop.example", at(rendered.named("ConfigMap", "relance-edge-http"), "data", "RELANCE_EDGE_PUBLIC_URL"));
        // The edge takes traffic from the ingress controller's namespace only (and the test pod).
        Map<String, Object> edgePolicy = rendered.named("NetworkPolicy", "relance-edge-http");
        List<Map<String, Object>> from = list(list(edgePolicy, "spec", "ingress").get(0), "from");
        assertEquals("ingress-nginx", at(from.get(0), "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"));
        assertEquals(2, from.size());
        // Prometheus may scrape every service.
        for (Map<String, Object> policy : rendered.ofKind("NetworkPolicy")) {
            assertTrue(list(policy, "spec", "ingress").stream().anyMatch(rule -> list(rule, "from").stream()
                    .anyMatch(peer -> "monitoring".equals(at(peer, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name")))),
                    name(policy));
        }
        String edgeImage = (String) list(rendered.named("Deployment", "relance-edge-http"), "spec", "template", "spec", "containers").get(0).get("image");
        assertTrue(edgeImage.startsWith("registry.example.com/relance/relance-edge-http@sha256:"), edgeImage);
    }

    @Test
    void defaultsPointAtTheCloudNativePgExampleAndPublishNothing() {
        Rendered rendered = Chart.template();
        assertEquals(List.of(), rendered.ofKind("Ingress"));
        assertEquals(List.of(), rendered.ofKind("HorizontalPodAutoscaler"));
        Map<String, String> urls = new TreeMap<>();
        for (Map<String, Object> configMap : rendered.ofKind("ConfigMap")) {
            urls.put(name(configMap), at(configMap, "data", "RELANCE_DB_URL"));
        }
        assertEquals(Map.of(
                "relance-cart-service", "postgresql://relance-db-rw:5432/relance_cart",
                "relance-edge-http", "postgresql://relance-db-rw:5432/relance_edge",
                "relance-segment-service", "postgresql://relance-db-rw:5432/relance_segment",
                "relance-transaction-service", "postgresql://relance-db-rw:5432/relance_transaction"), urls);
        Map<String, Object> segment = at(rendered.named("ConfigMap", "relance-segment-service"), "data");
        assertEquals("relance-cart-service", segment.get("RELANCE_CART_HOST"));
        assertEquals("8081", segment.get("RELANCE_CART_PORT"));
        assertEquals("relance-transaction-service", segment.get("RELANCE_TRANSACTION_HOST"));
        assertEquals("8082", segment.get("RELANCE_TRANSACTION_PORT"));
        for (Map<String, Object> deployment : rendered.ofKind("Deployment")) {
            assertEquals(2, (Integer) at(deployment, "spec", "replicas"));
            assertEquals(0, (Integer) at(deployment, "spec", "strategy", "rollingUpdate", "maxUnavailable"));
            List<Map<String, Object>> spread = list(deployment, "spec", "template", "spec", "topologySpreadConstraints");
            assertEquals(List.of("topology.kubernetes.io/zone", "kubernetes.io/hostname"),
                    spread.stream().map(s -> s.get("topologyKey")).toList());
            assertEquals((Object) at(deployment, "spec", "selector", "matchLabels"), at(spread.get(0), "labelSelector", "matchLabels"));
        }
    }

    @Test
    void externalSecretNamesAreReferencedPerService() {
        Rendered rendered = Chart.template(Chart.dir().resolve("ci/external-db-values.yaml"));
        Map<String, String> dbSecret = new TreeMap<>();
        Map<String, String> tokenRef = new TreeMap<>();
        for (Map<String, Object> deployment : rendered.ofKind("Deployment")) {
            Map<String, Object> container = list(deployment, "spec", "template", "spec", "containers").get(0);
            for (Map<String, Object> env : list(container, "env")) {
                Map<String, Object> ref = at(env, "valueFrom", "secretKeyRef");
                if ("RELANCE_DB_PASSWORD".equals(env.get("name"))) {
                    dbSecret.put(name(deployment), ref.get("name") + "/" + ref.get("key"));
                }
                if ("RELANCE_GRPC_TOKEN".equals(env.get("name"))) {
                    tokenRef.put(name(deployment), ref.get("name") + "/" + ref.get("key"));
                }
                if (List.of("RELANCE_ADMIN_TOKEN", "RELANCE_EDGE_ADMIN_TOKEN").contains(env.get("name"))) {
                    assertEquals("shop-relance-app/console-token", ref.get("name") + "/" + ref.get("key"));
                }
                if (List.of("RELANCE_LINK_SECRET", "RELANCE_EDGE_LINK_SECRET").contains(env.get("name"))) {
                    assertEquals("shop-relance-app/link-hmac", ref.get("name") + "/" + ref.get("key"));
                }
            }
        }
        assertEquals(Map.of(
                "relance-cart-service", "relance-db-cart/password",
                "relance-edge-http", "relance-db-edge/password",
                "relance-segment-service", "relance-db-segment/pass",
                "relance-transaction-service", "relance-db-transaction/password"), dbSecret);
        tokenRef.values().forEach(ref -> assertEquals("shop-relance-app/internal-token", ref));
        // database.sslMode: verify-full reaches every service's URL (the services' kit reads sslmode).
        assertEquals("postgresql://relance-segment.abcdefgh.eu-west-1.rds.amazonaws.com:5432/relance_segment?sslmode=verify-full",
                at(rendered.named("ConfigMap", "relance-segment-service"), "data", "RELANCE_DB_URL"));
        assertEquals("postgresql://relance.abcdefgh.eu-west-1.rds.amazonaws.com:5432/cart?sslmode=verify-full",
                at(rendered.named("ConfigMap", "relance-cart-service"), "data", "RELANCE_DB_URL"));
        Map<String, Object> cartPolicy = rendered.named("NetworkPolicy", "relance-cart-service");
        Map<String, Object> databaseRule = list(cartPolicy, "spec", "egress").stream()
                .filter(rule -> list(rule, "ports").stream().anyMatch(p -> Integer.valueOf(5432).equals(p.get("port"))))
                .findFirst().orElseThrow();
        assertEquals("10.20.0.0/16", at(list(databaseRule, "to").get(0), "ipBlock", "cidr"));
    }

    @Test
    void networkPolicyCanBeTurnedOff() {
        Rendered rendered = Chart.templateWith(work, "networkPolicy:\n  enabled: false\n");
        assertEquals(List.of(), rendered.ofKind("NetworkPolicy"));
        assertEquals(4, rendered.ofKind("Deployment").size());
    }

    @Test
    void testPodChecksTheHealthOfEveryServiceAndIsLockedDown() {
        Rendered rendered = Chart.render(Chart.copyWithTestsAsManifests(work));
        List<Map<String, Object>> pods = rendered.ofKind("Pod");
        assertEquals(1, pods.size());
        Map<String, Object> pod = pods.get(0);
        assertEquals("chart-test", at(pod, "metadata", "labels", "app.kubernetes.io/component"));
        assertEquals(Boolean.TRUE, at(pod, "spec", "securityContext", "runAsNonRoot"));
        assertEquals("RuntimeDefault", at(pod, "spec", "securityContext", "seccompProfile", "type"));
        Map<String, Object> container = list(pod, "spec", "containers").get(0);
        assertLockedDown(container, "test pod");
        String script = String.join("\n", (List<String>) container.get("args"));
        for (String service : List.of("cart-service:8081", "transaction-service:8082", "segment-service:8083")) {
            assertTrue(script.contains("grpcurl -plaintext -max-time 10 relance-" + service + " grpc.health.v1.Health/Check"), script);
        }
        assertTrue(script.contains("http://relance-edge-http:8080/q/health/ready"), script);
        // The network policies let that pod in (its labels match the peer they name).
        Map<String, Object> labels = at(pod, "metadata", "labels");
        for (Map<String, Object> policy : rendered.ofKind("NetworkPolicy")) {
            String target = at(policy, "spec", "podSelector", "matchLabels", "app.kubernetes.io/component");
            if (target.equals("edge-http")) {
                continue;
            }
            assertTrue(list(policy, "spec", "ingress").stream().flatMap(rule -> list(rule, "from").stream())
                    .anyMatch(peer -> labels.entrySet().containsAll(((Map<String, Object>) at(peer, "podSelector", "matchLabels")).entrySet())),
                    target);
        }
    }

    @Test
    void aMisspeltKeyFailsSchemaValidation() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Chart.templateWith(work, "cartService:\n  replicaCont: 3\n"));
        assertTrue(e.getMessage().contains("replicaCont"), e.getMessage());
        IllegalStateException top = assertThrows(IllegalStateException.class,
                () -> Chart.templateWith(work, "ingres:\n  enabled: true\n"));
        assertTrue(top.getMessage().contains("ingres"), top.getMessage());
    }

    @Test
    void aWrongTypeFailsSchemaValidation() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Chart.templateWith(work, "cartService:\n  replicaCount: three\n"));
        assertTrue(e.getMessage().contains("replicaCount"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> Chart.templateWith(work, "networkPolicy:\n  enabled: \"yes\"\n"));
        assertThrows(IllegalStateException.class, () -> Chart.templateWith(work, "database:\n  port: 99999\n"));
    }

    @Test
    void aGracePeriodShorterThanTheDrainIsRefused() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Chart.templateWith(work,
                "shutdown:\n  preStopSleepSeconds: 10\n  timeoutSeconds: 30\n  terminationGracePeriodSeconds: 30\n"));
        assertTrue(e.getMessage().contains("terminationGracePeriodSeconds"), e.getMessage());
    }

    @Test
    void aServiceWithoutTheServicesItCallsIsRefused() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Chart.templateWith(work, "cartService:\n  enabled: false\n"));
        assertTrue(e.getMessage().contains("cartService"), e.getMessage());
    }

    @Test
    void anEmptyDatabaseHostIsRefused() {
        assertThrows(IllegalStateException.class, () -> Chart.templateWith(work, "database:\n  host: \"\"\n"));
    }

    private static void assertLockedDown(Map<String, Object> container, String where) {
        Map<String, Object> security = at(container, "securityContext");
        assertNotNull(security, where);
        assertEquals(Boolean.TRUE, security.get("readOnlyRootFilesystem"), where);
        assertEquals(Boolean.FALSE, security.get("allowPrivilegeEscalation"), where);
        assertEquals(Boolean.TRUE, security.get("runAsNonRoot"), where);
        assertEquals(List.of("ALL"), at(security, "capabilities", "drop"), where);
        assertNull(at(security, "capabilities", "add"), where);
        assertFalse(Boolean.TRUE.equals(security.get("privileged")), where);
        Object uid = security.get("runAsUser");
        assertTrue(uid == null || (Integer) uid != 0, where);
    }

    private static void assertTmpIsAnEmptyDir(Map<String, Object> pod, Map<String, Object> container, String where) {
        String volume = list(container, "volumeMounts").stream()
                .filter(m -> "/tmp".equals(m.get("mountPath")))
                .map(m -> (String) m.get("name"))
                .findFirst().orElseThrow(() -> new AssertionError(where + ": no /tmp"));
        assertTrue(list(pod, "volumes").stream().anyMatch(v -> volume.equals(v.get("name")) && v.containsKey("emptyDir")), where);
    }

    private static String componentSelected(Map<String, Map<String, Object>> podLabelsByComponent, Map<String, Object> selector, String label) {
        List<String> matched = podLabelsByComponent.entrySet().stream()
                .filter(e -> e.getValue().entrySet().containsAll(selector.entrySet()))
                .map(Map.Entry::getKey)
                .toList();
        assertEquals(1, matched.size(), label + ": selector " + selector + " matches " + matched);
        return matched.get(0);
    }
}
