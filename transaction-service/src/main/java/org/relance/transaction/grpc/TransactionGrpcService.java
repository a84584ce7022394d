package org.relance.transaction.grpc;

import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.time.Instant;
import org.relance.api.transaction.v1.CurrencyRevenue;
import org.relance.api.transaction.v1.EraseContactTransactionsRequest;
import org.relance.api.transaction.v1.EraseContactTransactionsResponse;
import org.relance.api.transaction.v1.GetRevenueStatisticsRequest;
import org.relance.api.transaction.v1.GetRevenueStatisticsResponse;
import org.relance.api.transaction.v1.GetTransactionRequest;
import org.relance.api.transaction.v1.GetTransactionResponse;
import org.relance.api.transaction.v1.LinkVisitorRequest;
import org.relance.api.transaction.v1.LinkVisitorResponse;
import org.relance.api.transaction.v1.ListTransactionsRequest;
import org.relance.api.transaction.v1.ListTransactionsResponse;
import org.relance.api.transaction.v1.MutinyTransactionServiceGrpc;
import org.relance.api.transaction.v1.RecordTransactionRequest;
import org.relance.api.transaction.v1.RecordTransactionResponse;
import org.relance.api.transaction.v1.RevenueLine;
import org.relance.api.transaction.v1.WatchTransactionEventsRequest;
import org.relance.api.transaction.v1.WatchTransactionEventsResponse;
import org.relance.kit.error.Violations;
import org.relance.kit.grpc.ProtoValues;
import org.relance.kit.grpc.Moneys;
import org.relance.transaction.conversion.ConversionDelivery;
import org.relance.transaction.domain.TransactionValidator;
import org.relance.transaction.persistence.StoreDirectory;
import org.relance.transaction.persistence.TransactionEventLog;
import org.relance.transaction.persistence.TransactionRepository;

import static org.relance.kit.grpc.ProtoValues.emptyToNull;

/** TransactionService over gRPC: maps, validates and delegates. */
@GrpcService
public class TransactionGrpcService extends MutinyTransactionServiceGrpc.TransactionServiceImplBase {
    private static final int LIST_DEFAULT = 50;
    private static final int LIST_MAX = 500;

    private final TransactionRepository transactions;
    private final StoreDirectory stores;
    private final ConversionDelivery delivery;
    private final TransactionEventLog events;

    public TransactionGrpcService(TransactionRepository transactions, StoreDirectory stores, ConversionDelivery delivery,
                                  TransactionEventLog events) {
        this.transactions = transactions;
        this.stores = stores;
        this.delivery = delivery;
        this.events = events;
    }

    @Override
    public Uni<RecordTransactionResponse> recordTransaction(RecordTransactionRequest request) {
        org.relance.api.transaction.v1.Transaction t = request.getTransaction();
        Violations first = new Violations();
        first.requireText("transaction.store_id", t.getStoreId(), TransactionValidator.ID_MAX);
        if (!first.isEmpty()) {
            return Uni.createFrom().failure(first.exception());
        }
        return stores.get(t.getStoreId())
                .map(store -> {
                    Violations v = new Violations();
                    var transaction = TransactionProtoMapper.toDomain(t, store.currencyCode(), v);
                    TransactionValidator.check(transaction, "transaction.", v);
                    v.throwIfAny();
                    return transaction;
                })
                .chain(transactions::record)
                .invoke(recorded -> {
                    if (!recorded.alreadyRecorded() && recorded.transaction().cartId() != null) {
                        delivery.kick();
                    }
                })
                .map(recorded -> RecordTransactionResponse.newBuilder()
                        .setTransaction(TransactionProtoMapper.toProto(recorded.transaction()))
                        .setAlreadyRecorded(recorded.alreadyRecorded())
                        .build());
    }

    @Override
    public Uni<GetTransactionResponse> getTransaction(GetTransactionRequest request) {
        Violations v = new Violations();
        v.requireText("store_id", request.getStoreId(), TransactionValidator.ID_MAX);
        v.requireText("transaction_id", request.getTransactionId(), TransactionValidator.TEXT_MAX);
        if (!v.isEmpty()) {
            return Uni.createFrom().failure(v.exception());
        }
        return transactions.get(request.getStoreId(), request.getTransactionId())
                .map(t -> GetTransactionResponse.newBuilder().setTransaction(TransactionProtoMapper.toProto(t)).build());
    }

    @Override
    public Uni<ListTransactionsResponse> listTransactions(ListTransactionsRequest request) {
        Violations v = new Violations();
        boolean byContact = !request.getContactId().isEmpty();
        if (byContact == !request.getVisitorId().isEmpty()) {
            v.add("contact_id", "exactly one of contact_id and visitor_id is required");
        }
        v.optionalText("contact_id", request.getContactId(), TransactionValidator.PERSON_ID_MAX);
        v.optionalText("visitor_id", request.getVisitorId(), TransactionValidator.PERSON_ID_MAX);
        v.optionalText("store_id", request.getStoreId(), TransactionValidator.ID_MAX);
        if (request.getPageSize() < 0 || request.getPageSize() > LIST_MAX) {
            v.add("page_size", "must be between 1 and " + LIST_MAX + " (0 for the default " + LIST_DEFAULT + ")");
        }
        int offset = ProtoValues.offset(request.getPageToken(), v);
        if (!v.isEmpty()) {
            return Uni.createFrom().failure(v.exception());
        }
        int size = request.getPageSize() == 0 ? LIST_DEFAULT : request.getPageSize();
        return transactions.list(emptyToNull(request.getStoreId()), emptyToNull(request.getContactId()),
                        emptyToNull(request.getVisitorId()), size + 1, offset)
                .map(list -> {
                    ListTransactionsResponse.Builder b = ListTransactionsResponse.newBuilder();
                    list.stream().limit(size).forEach(t -> b.addTransactions(TransactionProtoMapper.toProto(t)));
                    if (list.size() > size) {
                        b.setNextPageToken(ProtoValues.offsetToken(offset + size));
                    }
                    return b.build();
                });
    }

    @Override
    public Uni<LinkVisitorResponse> linkVisitor(LinkVisitorRequest request) {
        Violations v = new Violations();
        v.requireText("store_id", request.getStoreId(), TransactionValidator.ID_MAX);
        v.requireText("visitor_id", request.getVisitorId(), TransactionValidator.PERSON_ID_MAX);
        v.requireText("contact_id", request.getContactId(), TransactionValidator.PERSON_ID_MAX);
        if (!v.isEmpty()) {
            return Uni.createFrom().failure(v.exception());
        }
        return transactions.link(request.getStoreId(), request.getVisitorId(), request.getContactId())
                .map(n -> LinkVisitorResponse.newBuilder().setLinkedTransactionCount(n).build());
    }

    @Override
    public Uni<EraseContactTransactionsResponse> eraseContactTransactions(EraseContactTransactionsRequest request) {
        Violations v = new Violations();
        v.requireText("contact_id", request.getContactId(), TransactionValidator.PERSON_ID_MAX);
        if (!v.isEmpty()) {
            return Uni.createFrom().failure(v.exception());
        }
        return transactions.erase(request.getContactId())
                .map(e -> EraseContactTransactionsResponse.newBuilder().setDeletedTransactionCount(e.transactions())
                        .setDeletedItemCount(e.items()).setDeletedVisitorCount(e.visitors()).build());
    }

    @Override
    public Multi<WatchTransactionEventsResponse> watchTransactionEvents(WatchTransactionEventsRequest request) {
        Violations v = new Violations();
        if (request.getAfterSequence() < 0) {
            v.add("after_sequence", "must not be negative");
        }
        v.optionalText("store_id", request.getStoreId(), TransactionValidator.ID_MAX);
        if (!v.isEmpty()) {
            return Multi.createFrom().failure(v.exception());
        }
        return events.watch(request.getAfterSequence(), emptyToNull(request.getStoreId()))
                .map(e -> WatchTransactionEventsResponse.newBuilder().setEvent(TransactionProtoMapper.toProto(e)).build());
    }

    @Override
    public Uni<GetRevenueStatisticsResponse> getRevenueStatistics(GetRevenueStatisticsRequest request) {
        Violations v = new Violations();
        v.requireText("store_id", request.getStoreId(), TransactionValidator.ID_MAX);
        if (!request.hasStartTime()) {
            v.add("start_time", "is required");
        }
        if (!request.hasEndTime()) {
            v.add("end_time", "is required");
        }
        Instant start = ProtoValues.instant(request.getStartTime(), "start_time", v);
        Instant end = ProtoValues.instant(request.getEndTime(), "end_time", v);
        if (request.hasStartTime() && request.hasEndTime() && start != null && end != null && !end.isAfter(start)) {
            v.add("end_time", "must be after start_time");
        }
        if (request.getTopCount() < 0 || request.getTopCount() > 1000) {
            v.add("top_count", "must be between 1 and 1000 (0 for the default 20)");
        }
        if (!v.isEmpty()) {
            return Uni.createFrom().failure(v.exception());
        }
        int top = request.getTopCount() == 0 ? 20 : request.getTopCount();
        return transactions.statistics(request.getStoreId(), start, end, top).map(stats -> {
            GetRevenueStatisticsResponse.Builder b = GetRevenueStatisticsResponse.newBuilder();
            for (TransactionRepository.CurrencyTotal total : stats.totals()) {
                CurrencyRevenue.Builder currency = CurrencyRevenue.newBuilder()
                        .setCurrencyCode(total.currencyCode())
                        .setTransactionCount(total.transactions())
                        .setRevenue(Moneys.toMoney(total.revenue(), total.currencyCode()));
                stats.products().stream().filter(l -> l.currencyCode().equals(total.currencyCode()))
                        .forEach(l -> currency.addProducts(line(l)));
                stats.categories().stream().filter(l -> l.currencyCode().equals(total.currencyCode()))
                        .forEach(l -> currency.addCategories(line(l)));
                b.addCurrencies(currency);
            }
            return b.build();
        });
    }

    private static RevenueLine line(TransactionRepository.RevenueLine l) {
        return RevenueLine.newBuilder().setId(l.id()).setName(l.name() == null ? "" : l.name()).setQuantity(l.quantity())
                .setRevenue(Moneys.toMoney(l.revenue(), l.currencyCode())).setTransactionCount(l.transactions()).build();
    }
}
