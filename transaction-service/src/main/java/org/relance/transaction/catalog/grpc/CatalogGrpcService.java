package org.relance.transaction.catalog.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.relance.api.transaction.v1.BatchGetProductsRequest;
import org.relance.api.transaction.v1.BatchGetProductsResponse;
import org.relance.api.transaction.v1.CatalogServiceGrpc;
import org.relance.api.transaction.v1.DeleteCategoryRequest;
import org.relance.api.transaction.v1.DeleteCategoryResponse;
import org.relance.api.transaction.v1.DeleteProductRequest;
import org.relance.api.transaction.v1.DeleteProductResponse;
import org.relance.api.transaction.v1.GetCategoryRequest;
import org.relance.api.transaction.v1.GetCategoryResponse;
import org.relance.api.transaction.v1.GetProductRequest;
import org.relance.api.transaction.v1.GetProductResponse;
import org.relance.api.transaction.v1.ImportRecordsRequest;
import org.relance.api.transaction.v1.ImportRecordsResponse;
import org.relance.api.transaction.v1.ListCategoriesRequest;
import org.relance.api.transaction.v1.ListCategoriesResponse;
import org.relance.api.transaction.v1.ListProductsRequest;
import org.relance.api.transaction.v1.ListProductsResponse;
import org.relance.api.transaction.v1.UpsertCategoriesRequest;
import org.relance.api.transaction.v1.UpsertCategoriesResponse;
import org.relance.api.transaction.v1.UpsertProductsRequest;
import org.relance.api.transaction.v1.UpsertProductsResponse;
import org.relance.kit.error.Violations;
import org.relance.kit.grpc.GrpcStatusMapper;
import org.relance.transaction.catalog.domain.CatalogRules;
import org.relance.transaction.catalog.domain.Product;
import org.relance.transaction.catalog.domain.WriteCounts;
import org.relance.transaction.catalog.persistence.CatalogRepository;
import org.relance.transaction.imports.ImportConfig;
import org.relance.transaction.imports.RecordImporter;
import org.relance.transaction.persistence.StoreDirectory;

import static org.relance.transaction.catalog.grpc.CatalogProtoMapper.emptyToNull;

/**
 * CatalogService over gRPC: maps, validates and delegates. It is written against grpc-java's
 * stream observers rather than the Mutiny stubs because ImportRecords needs flow control on its
 * request stream, which the Mutiny bridge does not give (it buffers every incoming message); the
 * unary calls still build a {@code Uni} and answer from it.
 */
@GrpcService
public class CatalogGrpcService extends CatalogServiceGrpc.CatalogServiceImplBase {
    private final CatalogRepository catalog;
    private final StoreDirectory stores;
    private final RecordImporter importer;
    private final ImportConfig importConfig;

    public CatalogGrpcService(CatalogRepository catalog, StoreDirectory stores, RecordImporter importer, ImportConfig importConfig) {
        this.catalog = catalog;
        this.stores = stores;
        this.importer = importer;
        this.importConfig = importConfig;
    }

    @Override
    public void upsertProducts(UpsertProductsRequest request, StreamObserver<UpsertProductsResponse> out) {
        reply(out, Uni.createFrom().item(() -> CatalogProtoMapper.toProducts(request))
                .chain(products -> stores.get(request.getStoreId()).map(store -> products.stream()
                        .map(p -> p.withDefaultCurrency(store.currencyCode())).toList()))
                .chain(products -> catalog.upsertProducts(request.getStoreId(), request.getRequestId(),
                        CatalogProtoMapper.fingerprint(request.toBuilder().clearRequestId().build()), products))
                .map(counts -> UpsertProductsResponse.newBuilder()
                        .setInsertedCount((int) counts.inserted())
                        .setUpdatedCount((int) counts.updated())
                        .setUnchangedCount((int) counts.unchanged())
                        .build()));
    }

    @Override
    public void getProduct(GetProductRequest request, StreamObserver<GetProductResponse> out) {
        reply(out, checked(v -> {
            v.requireText("store_id", request.getStoreId(), CatalogRules.STORE_ID_MAX);
            v.requireText("product_id", request.getProductId(), CatalogRules.TEXT_MAX);
        }).chain(ok -> catalog.getProduct(request.getStoreId(), request.getProductId()))
                .map(p -> GetProductResponse.newBuilder().setProduct(CatalogProtoMapper.toProto(p)).build()));
    }

    @Override
    public void listProducts(ListProductsRequest request, StreamObserver<ListProductsResponse> out) {
        Violations v = new Violations();
        v.requireText("store_id", request.getStoreId(), CatalogRules.STORE_ID_MAX);
        v.optionalText("category_id", request.getCategoryId(), CatalogRules.TEXT_MAX);
        int size = CatalogProtoMapper.pageSize(request.getPageSize(), v);
        String after = CatalogProtoMapper.decodeToken(request.getPageToken(), v);
        if (!v.isEmpty()) {
            out.onError(GrpcStatusMapper.toStatusException(v.exception()));
            return;
        }
        reply(out, catalog.listProducts(request.getStoreId(), emptyToNull(request.getCategoryId()), after, size + 1).map(list -> {
            ListProductsResponse.Builder b = ListProductsResponse.newBuilder();
            list.stream().limit(size).forEach(p -> b.addProducts(CatalogProtoMapper.toProto(p)));
            if (list.size() > size) {
                b.setNextPageToken(CatalogProtoMapper.encodeToken(list.get(size - 1).productId()));
            }
            return b.build();
        }));
    }

    @Override
    public void batchGetProducts(BatchGetProductsRequest request, StreamObserver<BatchGetProductsResponse> out) {
        List<String> ids = List.copyOf(new LinkedHashSet<>(request.getProductIdsList()));
        reply(out, checked(v -> {
            v.requireText("store_id", request.getStoreId(), CatalogRules.STORE_ID_MAX);
            if (request.getProductIdsCount() == 0 || request.getProductIdsCount() > CatalogRules.BATCH_MAX) {
                v.add("product_ids", "must name 1 to " + CatalogRules.BATCH_MAX + " products (got " + request.getProductIdsCount() + ")");
            }
            for (int i = 0; i < request.getProductIdsCount(); i++) {
                v.requireText("product_ids[" + i + "]", request.getProductIds(i), CatalogRules.TEXT_MAX);
            }
        }).chain(ok -> catalog.products(request.getStoreId(), ids)).map((Map<String, Product> found) -> {
            BatchGetProductsResponse.Builder b = BatchGetProductsResponse.newBuilder();
            for (String id : ids) {
                Product p = found.get(id);
                if (p == null) {
                    b.addMissingProductIds(id);
                } else {
                    b.addProducts(CatalogProtoMapper.toProto(p));
                }
            }
            return b.build();
        }));
    }

    @Override
    public void deleteProduct(DeleteProductRequest request, StreamObserver<DeleteProductResponse> out) {
        reply(out, checked(v -> {
            v.requireText("store_id", request.getStoreId(), CatalogRules.STORE_ID_MAX);
            v.requireText("product_id", request.getProductId(), CatalogRules.TEXT_MAX);
        }).chain(ok -> catalog.deleteProduct(request.getStoreId(), request.getProductId()))
                .map(p -> DeleteProductResponse.newBuilder().setProduct(CatalogProtoMapper.toProto(p)).build()));
    }

    @Override
    public void upsertCategories(UpsertCategoriesRequest request, StreamObserver<UpsertCategoriesResponse> out) {
        reply(out, Uni.createFrom().item(() -> CatalogProtoMapper.toCategories(request))
                .call(categories -> stores.get(request.getStoreId()))
                .chain(categories -> catalog.upsertCategories(request.getStoreId(), request.getRequestId(),
                        CatalogProtoMapper.fingerprint(request.toBuilder().clearRequestId().build()), categories))
                .map((WriteCounts counts) -> UpsertCategoriesResponse.newBuilder()
                        .setInsertedCount((int) counts.inserted())
                        .setUpdatedCount((int) counts.updated())
                        .setUnchangedCount((int) counts.unchanged())
                        .build()));
    }

    @Override
    public void getCategory(GetCategoryRequest request, StreamObserver<GetCategoryResponse> out) {
        reply(out, checked(v -> {
            v.requireText("store_id", request.getStoreId(), CatalogRules.STORE_ID_MAX);
            v.requireText("category_id", request.getCategoryId(), CatalogRules.TEXT_MAX);
        }).chain(ok -> catalog.getCategory(request.getStoreId(), request.getCategoryId()))
                .map(k -> GetCategoryResponse.newBuilder().setCategory(CatalogProtoMapper.toProto(k)).build()));
    }

    @Override
    public void listCategories(ListCategoriesRequest request, StreamObserver<ListCategoriesResponse> out) {
        Violations v = new Violations();
        v.requireText("store_id", request.getStoreId(), CatalogRules.STORE_ID_MAX);
        v.optionalText("parent_category_id", request.getParentCategoryId(), CatalogRules.TEXT_MAX);
        int size = CatalogProtoMapper.pageSize(request.getPageSize(), v);
        String after = CatalogProtoMapper.decodeToken(request.getPageToken(), v);
        if (!v.isEmpty()) {
            out.onError(GrpcStatusMapper.toStatusException(v.exception()));
            return;
        }
        reply(out, catalog.listCategories(request.getStoreId(), emptyToNull(request.getParentCategoryId()), after, size + 1)
                .map(list -> {
                    ListCategoriesResponse.Builder b = ListCategoriesResponse.newBuilder();
                    list.stream().limit(size).forEach(k -> b.addCategories(CatalogProtoMapper.toProto(k)));
                    if (list.size() > size) {
                        b.setNextPageToken(CatalogProtoMapper.encodeToken(list.get(size - 1).categoryId()));
                    }
                    return b.build();
                }));
    }

    @Override
    public void deleteCategory(DeleteCategoryRequest request, StreamObserver<DeleteCategoryResponse> out) {
        reply(out, checked(v -> {
            v.requireText("store_id", request.getStoreId(), CatalogRules.STORE_ID_MAX);
            v.requireText("category_id", request.getCategoryId(), CatalogRules.TEXT_MAX);
        }).chain(ok -> catalog.deleteCategory(request.getStoreId(), request.getCategoryId()))
                .map(k -> DeleteCategoryResponse.newBuilder().setCategory(CatalogProtoMapper.toProto(k)).build()));
    }

    @Override
    public StreamObserver<ImportRecordsRequest> importRecords(StreamObserver<ImportRecordsResponse> out) {
        return new ImportCall((ServerCallStreamObserver<ImportRecordsResponse>) out, importer,
                Math.max(1, importConfig.bufferedChunks()), importConfig.idleTimeout());
    }

    /** Succeeds when {@code checks} find nothing, else fails with every violation found. */
    private static Uni<Boolean> checked(Consumer<Violations> checks) {
        return Uni.createFrom().item(() -> {
            Violations v = new Violations();
            checks.accept(v);
            v.throwIfAny();
            return true;
        });
    }

    /** Answers a unary call from {@code answer}; failures go through the one status mapping. */
    private static <T> void reply(StreamObserver<T> out, Uni<T> answer) {
        answer.subscribe().with(value -> {
            out.onNext(value);
            out.onCompleted();
        }, failure -> out.onError(GrpcStatusMapper.toStatusException(failure)));
    }
}
