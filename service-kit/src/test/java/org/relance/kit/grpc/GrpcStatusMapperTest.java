package org.relance.kit.grpc;

import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.r2dbc.spi.R2dbcDataIntegrityViolationException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcRollbackException;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.relance.kit.error.FieldViolation;
import org.relance.kit.error.InvalidArgumentException;
import org.relance.kit.error.NotFoundException;
import org.relance.kit.error.RuleViolationException;

import static org.assertj.core.api.Assertions.assertThat;

class GrpcStatusMapperTest {

    private static com.google.rpc.Status details(StatusRuntimeException e) {
        return StatusProto.fromThrowable(e);
    }

    @Test
    void validationBecomesInvalidArgumentWithEveryFieldViolation() throws Exception {
        StatusRuntimeException e = GrpcStatusMapper.toStatusException(new InvalidArgumentException(List.of(
                new FieldViolation("operations[0].quantity", "must be a positive integer"),
                new FieldViolation("store_id", "is required"))));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).isEqualTo("operations[0].quantity: must be a positive integer (and 1 more)");
        BadRequest bad = details(e).getDetailsList().stream().filter(d -> d.is(BadRequest.class)).findFirst().orElseThrow()
                .unpack(BadRequest.class);
        assertThat(bad.getFieldViolationsList()).extracting(BadRequest.FieldViolation::getField)
                .containsExactly("operations[0].quantity", "store_id");
    }

    @Test
    void eachKindHasItsCode() {
        assertThat(GrpcStatusMapper.toStatusException(new NotFoundException("x")).getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(GrpcStatusMapper.toStatusException(new RuleViolationException("R", "x")).getStatus().getCode())
                .isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(GrpcStatusMapper.toStatusException(new R2dbcDataIntegrityViolationException("dup", "23505")).getStatus().getCode())
                .isEqualTo(Status.Code.ALREADY_EXISTS);
        assertThat(GrpcStatusMapper.toStatusException(new R2dbcRollbackException("ser", "40001")).getStatus().getCode())
                .isEqualTo(Status.Code.ABORTED);
        assertThat(GrpcStatusMapper.toStatusException(new R2dbcNonTransientResourceException("down", "08006")).getStatus().getCode())
                .isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(GrpcStatusMapper.toStatusException(new TimeoutException()).getStatus().getCode())
                .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(GrpcStatusMapper.toStatusException(new CompletionException(new NotFoundException("wrapped"))).getStatus().getCode())
                .isEqualTo(Status.Code.NOT_FOUND);
    }

    @Test
    void internalFailuresNeverReachTheCaller() throws Exception {
        StatusRuntimeException e = GrpcStatusMapper.toStatusException(
                new IllegalStateException("SELECT password FROM secrets WHERE token = 'abc'"));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(e.getStatus().getDescription()).isEqualTo("internal error");
        assertThat(e.getStatus().getCause()).isNull();
        ErrorInfo info = details(e).getDetails(0).unpack(ErrorInfo.class);
        assertThat(info.getReason()).isEqualTo("INTERNAL");
        StatusRuntimeException db = GrpcStatusMapper.toStatusException(
                new io.r2dbc.spi.R2dbcBadGrammarException("syntax error at SELECT secret", "42601"));
        assertThat(db.getStatus().getDescription()).isEqualTo("internal error");
    }
}
