package org.relance.deploy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SuiteStateTest {

    @Test
    void writesOneLinePerServiceAndReadsBackTheRunningOnes() {
        List<ServiceSpec> suite = ServiceSpec.SUITE;
        SuiteState state = new SuiteState("ready", 42, "/tmp/a \"quoted\" root",
                new SuiteState.Postgres(15432, 43, "/tmp/data"), Optional.empty(), "/tmp/logs",
                List.of(new SuiteState.Service(suite.get(0), "ready", 101),
                        new SuiteState.Service(suite.get(1), "not-built", 0),
                        new SuiteState.Service(suite.get(3), "exited", 104)));

        String json = state.toJson();

        assertTrue(json.contains("\"root\": \"/tmp/a \\\"quoted\\\" root\""), json);
        assertTrue(json.contains("\"demoShop\": null"), json);
        assertTrue(json.contains("    {\"module\": \"cart-service\", \"port\": 8081, \"database\": \"relance_cart\", "
                + "\"url\": \"http://localhost:8081\", \"state\": \"ready\", \"pid\": 101},\n"), json);
        assertEquals(List.of(new SuiteState.RecordedService("cart-service", 101),
                        new SuiteState.RecordedService("edge-http", 104)),
                SuiteState.recordedServices(json));
    }

    @Test
    void namesTheVariableOtherServicesUseToReachAService() {
        assertEquals(Optional.of("RELANCE_CART_SERVICE_URL"), ServiceSpec.SUITE.get(0).addressVariable());
        assertEquals(Optional.of("RELANCE_TRANSACTION_SERVICE_URL"), ServiceSpec.SUITE.get(1).addressVariable());
        assertEquals(Optional.of("RELANCE_SEGMENT_SERVICE_URL"), ServiceSpec.SUITE.get(2).addressVariable());
        assertEquals(Optional.empty(), ServiceSpec.SUITE.get(3).addressVariable());
    }
}
