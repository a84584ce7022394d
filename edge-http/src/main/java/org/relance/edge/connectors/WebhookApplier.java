package org.relance.edge.connectors;

import io.smallrye.mutiny.Uni;

/** Applies one accepted webhook to the services (the worker's only dependency on them). */
public interface WebhookApplier {

    /**
     * What happened to a delivery.
     *
     * @param state   done, ignored or refused; pending when it should be tried again later
     * @param outcome a stable code (CART_UPDATED, CART_ALREADY_CONVERTED, CURRENCY_MISMATCH, UNAVAILABLE...)
     * @param detail  for people
     */
    record Result(String state, String outcome, String detail) {
        static Result done(String outcome, String detail) {
            return new Result(Delivery.DONE, outcome, detail);
        }

        static Result refused(String outcome, String detail) {
            return new Result(Delivery.REFUSED, outcome, detail);
        }

        static Result retry(String outcome, String detail) {
            return new Result(Delivery.PENDING, outcome, detail);
        }

        /** A failure that says nothing about the webhook: its gRPC status (UNAVAILABLE...) or INTERNAL, tried again later. */
        static Result retryAfter(Throwable failure) {
            if (failure instanceof io.grpc.StatusRuntimeException e) {
                String description = e.getStatus().getDescription();
                return retry(e.getStatus().getCode().name(), description == null ? e.getStatus().getCode().name() : description);
            }
            return retry("INTERNAL", failure.toString());
        }

        boolean retryLater() {
            return Delivery.PENDING.equals(state);
        }
    }

    /** Applies the delivery; never fails (a failure is a retry result). */
    Uni<Result> apply(Delivery delivery);
}
