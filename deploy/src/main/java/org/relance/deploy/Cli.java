package org.relance.deploy;

import com.google.protobuf.Duration;
import com.google.protobuf.util.JsonFormat;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.relance.api.cart.v1.AddCartItemOperation;
import org.relance.api.cart.v1.AddCartOperation;
import org.relance.api.cart.v1.CartEvent;
import org.relance.api.cart.v1.CartOperation;
import org.relance.api.cart.v1.CartServiceGrpc;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.GetCartRequest;
import org.relance.api.cart.v1.ListStoresRequest;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.StoreServiceGrpc;
import org.relance.api.cart.v1.SubmitCartRequest;
import org.relance.api.cart.v1.WatchCartEventsRequest;
import org.relance.api.cart.v1.WatchCartEventsResponse;
import org.relance.api.common.v1.Money;
import org.relance.api.transaction.v1.GetTransactionRequest;
import org.relance.api.transaction.v1.RecordTransactionRequest;
import org.relance.api.transaction.v1.Transaction;
import org.relance.api.transaction.v1.TransactionItem;
import org.relance.api.transaction.v1.TransactionServiceGrpc;

/**
 * A small command-line gRPC client of the local suite, for the tour and for poking at it:
 * {@code relance stores|carts|transactions ...}. Answers are printed as JSON.
 */
public final class Cli {
    private final PrintStream out;
    private final Map<String, List<String>> options;
    private final String token;

    private Cli(PrintStream out, Map<String, List<String>> options, String token) {
        this.out = out;
        this.options = options;
        this.token = token;
    }

    /** Kept referenced: java.util.logging holds loggers weakly. */
    private static final java.util.logging.Logger GRPC_LOGS = java.util.logging.Logger.getLogger("io.grpc");

    public static void main(String[] args) {
        GRPC_LOGS.setLevel(java.util.logging.Level.WARNING);
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length < 2) {
            err.println(usage());
            return 2;
        }
        Map<String, List<String>> options = new LinkedHashMap<>();
        for (int i = 2; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                err.println("relance: expected --option [value], got " + args[i] + "\n" + usage());
                return 2;
            }
            // An option followed by another option (or nothing) is a flag.
            boolean flag = i + 1 >= args.length || args[i + 1].startsWith("--");
            options.computeIfAbsent(args[i].substring(2), k -> new ArrayList<>()).add(flag ? "true" : args[++i]);
        }
        try {
            String token = tokenOf(options);
            new Cli(out, options, token).dispatch(args[0], args[1]);
            return 0;
        } catch (StatusRuntimeException e) {
            err.println("relance: " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
            return 1;
        } catch (IllegalArgumentException | IOException e) {
            err.println("relance: " + e.getMessage() + "\n" + usage());
            return 2;
        }
    }

    static String usage() {
        return """
                usage: relance <area> <command> [--option value]...
                  stores create --store ID --currency EUR [--delay 3600] (seconds until a cart is abandoned)
                  stores list
                  sites create --store ID --site ID --origin https://shop.example [--cart-page /cart*] [--thank-you-page /thanks*]
                  sites journey --site ID --cart-page PATTERN --thank-you-page PATTERN   (URL journey; "" "" removes it)
                  pages record --site ID --visitor ID --url URL [--url URL]...   (page views, in order)
                  pages list --store ID (--visitor ID | --contact ID)
                  pages test --pattern PATTERN --url URL [--url URL]...
                  carts submit --store ID --cart ID [--status TEXT] [--total 870] [--item ID:NAME:PRICE:QTY]...
                               [--visitor ID] [--contact ID]
                  carts get --store ID --cart ID
                  carts watch [--after SEQUENCE] [--store ID]        (follows the event stream; Ctrl-C stops)
                  transactions record --store ID --id ID --revenue 155 [--tax 0] [--shipping 0] [--cart ID]
                               [--item ID:NAME:UNIT:TOTAL:QTY]... [--contact ID]
                  transactions get --store ID --id ID
                  contacts identify --store ID --visitor ID (--email ADDRESS | --contact ID)
                  contacts profile --contact ID
                  segments count|list [--store ID] [--abandoned] [--min-value 100] [--product TEXT] [--not-purchased]
                               [--visited PATTERN [--min-views N] [--within-days D]] [--url-purchase]
                               (the conditions given are ANDed: "abandoned a cart over 100 with TEXT in it, no purchase")
                options for all: --token (default: .relance/internal-token), --cart-port 8081, --transaction-port 8082,
                  --segment-port 8083""";
    }

    private static String tokenOf(Map<String, List<String>> options) throws IOException {
        if (options.containsKey("token")) {
            return options.get("token").get(0);
        }
        String env = System.getenv("RELANCE_GRPC_TOKEN");
        if (env != null && !env.isBlank()) {
            return env;
        }
        Path file = Path.of(System.getProperty("relance.root", "."), ".relance", "internal-token");
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("no token: start the suite first, or give --token");
        }
        return Files.readString(file).strip();
    }

    private String one(String name) {
        List<String> values = options.get(name);
        if (values == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return values.get(0);
    }

    private String opt(String name, String fallback) {
        List<String> values = options.get(name);
        return values == null ? fallback : values.get(0);
    }

    private ManagedChannel channel(String portOption, String defaultPort) {
        return ManagedChannelBuilder.forAddress("localhost", Integer.parseInt(opt(portOption, defaultPort))).usePlaintext().build();
    }

    private CallCredentials credentials() {
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
                Metadata headers = new Metadata();
                headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
                applier.apply(headers);
            }
        };
    }

    private void dispatch(String area, String command) throws IOException {
        String what = area + " " + command;
        ManagedChannel channel = switch (area) {
            case "transactions" -> channel("transaction-port", "8082");
            case "contacts", "segments" -> channel("segment-port", "8083");
            default -> channel("cart-port", "8081");
        };
        try {
            switch (what) {
                case "stores create" -> print(StoreServiceGrpc.newBlockingStub(channel).withCallCredentials(credentials())
                        .createStore(CreateStoreRequest.newBuilder().setStore(Store.newBuilder().setStoreId(one("store"))
                                .setCurrencyCode(opt("currency", "EUR")).setTimeZone(opt("time-zone", "UTC"))
                                .setAbandonmentDelay(Duration.newBuilder().setSeconds(Long.parseLong(opt("delay", "3600"))))).build()));
                case "stores list" -> print(StoreServiceGrpc.newBlockingStub(channel).withCallCredentials(credentials())
                        .listStores(ListStoresRequest.getDefaultInstance()));
                case "sites create" -> print(StoreServiceGrpc.newBlockingStub(channel).withCallCredentials(credentials())
                        .createSite(org.relance.api.cart.v1.CreateSiteRequest.newBuilder().setSite(
                                org.relance.api.cart.v1.Site.newBuilder().setStoreId(one("store")).setSiteId(one("site"))
                                        .addAllAllowedOrigins(options.getOrDefault("origin", List.of()))
                                        .setCartPagePattern(opt("cart-page", "")).setThankYouPagePattern(opt("thank-you-page", "")))
                                .build()));
                case "sites journey" -> print(StoreServiceGrpc.newBlockingStub(channel).withCallCredentials(credentials())
                        .updateSite(org.relance.api.cart.v1.UpdateSiteRequest.newBuilder().setSite(
                                        org.relance.api.cart.v1.Site.newBuilder().setSiteId(one("site"))
                                                .setCartPagePattern(one("cart-page")).setThankYouPagePattern(one("thank-you-page")))
                                .setUpdateMask(com.google.protobuf.FieldMask.newBuilder().addPaths("cart_page_pattern")
                                        .addPaths("thank_you_page_pattern"))
                                .build()));
                case "pages record" -> {
                    var request = org.relance.api.cart.v1.RecordPageViewsRequest.newBuilder().setSiteId(one("site"))
                            .setVisitorId(one("visitor")).setContactId(opt("contact", ""));
                    for (String url : options.getOrDefault("url", List.of())) {
                        request.addPageViews(org.relance.api.cart.v1.PageView.newBuilder()
                                .setViewId(UUID.randomUUID().toString()).setUrl(url));
                    }
                    print(org.relance.api.cart.v1.PageViewServiceGrpc.newBlockingStub(channel).withCallCredentials(credentials())
                            .recordPageViews(request.build()));
                }
                case "pages list" -> print(org.relance.api.cart.v1.PageViewServiceGrpc.newBlockingStub(channel)
                        .withCallCredentials(credentials()).listPageViews(org.relance.api.cart.v1.ListPageViewsRequest.newBuilder()
                                .setStoreId(one("store")).setVisitorId(opt("visitor", "")).setContactId(opt("contact", "")).build()));
                case "pages test" -> print(org.relance.api.cart.v1.PageViewServiceGrpc.newBlockingStub(channel)
                        .withCallCredentials(credentials()).testUrlPattern(org.relance.api.cart.v1.TestUrlPatternRequest.newBuilder()
                                .setPattern(one("pattern")).addAllUrls(options.getOrDefault("url", List.of())).build()));
                case "carts submit" -> print(CartServiceGrpc.newBlockingStub(channel).withCallCredentials(credentials())
                        .submitCart(submit()));
                case "carts get" -> print(CartServiceGrpc.newBlockingStub(channel).withCallCredentials(credentials())
                        .getCart(GetCartRequest.newBuilder().setStoreId(one("store")).setCartId(one("cart")).build()));
                case "carts watch" -> {
                    Iterator<WatchCartEventsResponse> events = CartServiceGrpc.newBlockingStub(channel).withCallCredentials(credentials())
                            .watchCartEvents(WatchCartEventsRequest.newBuilder().setAfterSequence(Long.parseLong(opt("after", "0")))
                                    .setStoreId(opt("store", "")).build());
                    while (events.hasNext()) {
                        CartEvent e = events.next().getEvent();
                        out.printf("%d %s %s/%s state=%s episode=%d items=%d%n", e.getSequence(),
                                e.getType().name().substring("CART_EVENT_TYPE_".length()), e.getCart().getStoreId(),
                                e.getCart().getCartId(), e.getCart().getState().name().substring("CART_STATE_".length()),
                                e.getCart().getEpisode(), e.getCart().getItemsCount());
                    }
                }
                case "transactions record" -> print(TransactionServiceGrpc.newBlockingStub(channel).withCallCredentials(credentials())
                        .recordTransaction(RecordTransactionRequest.newBuilder().setTransaction(transaction()).build()));
                case "transactions get" -> print(TransactionServiceGrpc.newBlockingStub(channel).withCallCredentials(credentials())
                        .getTransaction(GetTransactionRequest.newBuilder().setStoreId(one("store")).setTransactionId(one("id")).build()));
                case "contacts identify" -> {
                    var request = org.relance.api.segment.v1.IdentifyVisitorRequest.newBuilder().setStoreId(one("store"))
                            .setVisitorId(one("visitor"));
                    if (options.containsKey("email")) {
                        request.setEmail(one("email"));
                    } else {
                        request.setContactId(one("contact"));
                    }
                    print(org.relance.api.segment.v1.ContactServiceGrpc.newBlockingStub(channel).withCallCredentials(credentials())
                            .identifyVisitor(request.build()));
                }
                case "contacts profile" -> print(org.relance.api.segment.v1.ContactServiceGrpc.newBlockingStub(channel)
                        .withCallCredentials(credentials()).getContactProfile(org.relance.api.segment.v1.GetContactProfileRequest
                                .newBuilder().setContactId(one("contact")).build()));
                case "segments count" -> print(org.relance.api.segment.v1.SegmentServiceGrpc.newBlockingStub(channel)
                        .withCallCredentials(credentials()).countContacts(org.relance.api.segment.v1.CountContactsRequest.newBuilder()
                                .setCondition(condition()).setStoreId(opt("store", "")).build()));
                case "segments list" -> print(org.relance.api.segment.v1.SegmentServiceGrpc.newBlockingStub(channel)
                        .withCallCredentials(credentials()).listContacts(org.relance.api.segment.v1.ListContactsRequest.newBuilder()
                                .setCondition(condition()).setStoreId(opt("store", "")).build()));
                default -> throw new IllegalArgumentException("unknown command: " + what);
            }
        } finally {
            channel.shutdownNow();
            try {
                channel.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The AND of the conditions given as options. */
    private org.relance.api.segment.v1.SegmentCondition condition() {
        var and = org.relance.api.segment.v1.SegmentCondition.And.newBuilder();
        String store = opt("store", "");
        if (options.containsKey("abandoned")) {
            and.addConditions(org.relance.api.segment.v1.SegmentCondition.newBuilder().setHasAbandonedCart(
                    org.relance.api.segment.v1.SegmentCondition.HasAbandonedCart.newBuilder().setStoreId(store)));
        }
        if (options.containsKey("min-value")) {
            and.addConditions(org.relance.api.segment.v1.SegmentCondition.newBuilder().setLastAbandonedCartValue(
                    org.relance.api.segment.v1.SegmentCondition.LastAbandonedCartValue.newBuilder()
                            .setOperator(org.relance.api.segment.v1.NumberOperator.NUMBER_OPERATOR_GREATER)
                            .setAmount(money(one("min-value")))));
        }
        if (options.containsKey("product")) {
            and.addConditions(org.relance.api.segment.v1.SegmentCondition.newBuilder().setLastAbandonedCartProductName(
                    org.relance.api.segment.v1.SegmentCondition.LastAbandonedCartProductName.newBuilder()
                            .setOperator(org.relance.api.segment.v1.TextOperator.TEXT_OPERATOR_CONTAINS).setText(one("product"))));
        }
        if (options.containsKey("not-purchased")) {
            and.addConditions(org.relance.api.segment.v1.SegmentCondition.newBuilder().setNotCondition(
                    org.relance.api.segment.v1.SegmentCondition.Not.newBuilder().setCondition(
                            org.relance.api.segment.v1.SegmentCondition.newBuilder().setHasPurchased(
                                    org.relance.api.segment.v1.SegmentCondition.HasPurchased.newBuilder().setStoreId(store)))));
        }
        if (options.containsKey("visited")) {
            and.addConditions(org.relance.api.segment.v1.SegmentCondition.newBuilder().setVisitedUrl(
                    org.relance.api.segment.v1.SegmentCondition.VisitedUrl.newBuilder().setStoreId(store)
                            .setUrlPattern(one("visited")).setMinCount(Long.parseLong(opt("min-views", "1")))
                            .setWithinDays(Integer.parseInt(opt("within-days", "0")))));
        }
        if (options.containsKey("url-purchase")) {
            and.addConditions(org.relance.api.segment.v1.SegmentCondition.newBuilder().setHasUrlTrackedPurchase(
                    org.relance.api.segment.v1.SegmentCondition.HasUrlTrackedPurchase.newBuilder().setStoreId(store)));
        }
        if (and.getConditionsCount() == 0) {
            throw new IllegalArgumentException("give at least one of --abandoned, --min-value, --product, --not-purchased, "
                    + "--visited, --url-purchase");
        }
        return org.relance.api.segment.v1.SegmentCondition.newBuilder().setAndCondition(and).build();
    }

    private SubmitCartRequest submit() {
        String cart = one("cart");
        SubmitCartRequest.Builder b = SubmitCartRequest.newBuilder().setStoreId(one("store"))
                .setSubmitId(UUID.randomUUID().toString()).setVisitorId(opt("visitor", "")).setContactId(opt("contact", ""));
        AddCartOperation.Builder add = AddCartOperation.newBuilder().setCartId(cart).setTotalPrice(money(opt("total", "0")));
        if (options.containsKey("status")) {
            add.setStatus(one("status"));
        }
        b.addOperations(CartOperation.newBuilder().setAddCart(add));
        for (String item : options.getOrDefault("item", List.of())) {
            String[] parts = item.split(":");
            if (parts.length != 4) {
                throw new IllegalArgumentException("--item is ID:NAME:PRICE:QUANTITY, got " + item);
            }
            b.addOperations(CartOperation.newBuilder().setAddCartItem(AddCartItemOperation.newBuilder().setCartId(cart)
                    .setProductId(parts[0]).setProductName(parts[1]).setUnitPrice(money(parts[2]))
                    .setQuantity(Integer.parseInt(parts[3]))));
        }
        return b.build();
    }

    private Transaction transaction() {
        Transaction.Builder t = Transaction.newBuilder().setStoreId(one("store")).setTransactionId(one("id"))
                .setCartId(opt("cart", "")).setContactId(opt("contact", "")).setRevenue(money(one("revenue")))
                .setTax(money(opt("tax", "0"))).setShipping(money(opt("shipping", "0")));
        for (String item : options.getOrDefault("item", List.of())) {
            String[] parts = item.split(":");
            if (parts.length != 5) {
                throw new IllegalArgumentException("--item is ID:NAME:UNIT:TOTAL:QUANTITY, got " + item);
            }
            t.addItems(TransactionItem.newBuilder().setProductId(parts[0]).setProductName(parts[1]).setUnitPrice(money(parts[2]))
                    .setTotalPrice(money(parts[3])).setQuantity(Integer.parseInt(parts[4])));
        }
        return t.build();
    }

    private static Money money(String amount) {
        BigDecimal value = new BigDecimal(amount.replace(',', '.')).setScale(9, RoundingMode.UNNECESSARY);
        BigDecimal units = new BigDecimal(value.toBigInteger());
        return Money.newBuilder().setUnits(units.longValueExact())
                .setNanos(value.subtract(units).movePointRight(9).intValueExact()).build();
    }

    private void print(com.google.protobuf.MessageOrBuilder message) throws IOException {
        out.println(JsonFormat.printer().alwaysPrintFieldsWithNoPresence().print(message));
    }
}
