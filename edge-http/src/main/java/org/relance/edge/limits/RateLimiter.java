package org.relance.edge.limits;

import jakarta.inject.Singleton;
import java.util.concurrent.ConcurrentHashMap;
import org.relance.edge.config.EdgeConfig;

/**
 * Token buckets per site key and per client address. A bucket holds up to its burst and refills
 * at its rate; a request takes one token or is refused with the seconds until one is back.
 * Buckets of quiet callers are dropped when the map grows (a full bucket is the same as none).
 */
@Singleton
public class RateLimiter {
    private static final int MAX_BUCKETS = 100_000;

    /** A request allowed (waitSeconds 0) or refused (waitSeconds ≥ 1, for Retry-After). */
    public record Decision(boolean allowed, long waitSeconds) {
        static final Decision ALLOWED = new Decision(true, 0);
    }

    private static final class Bucket {
        private double tokens;
        private long updatedNanos;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.updatedNanos = now;
        }
    }

    private final double siteRate;
    private final int siteBurst;
    private final double addressRate;
    private final int addressBurst;
    private final ConcurrentHashMap<String, Bucket> sites = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Bucket> addresses = new ConcurrentHashMap<>();

    public RateLimiter(EdgeConfig config) {
        this.siteRate = config.limits().perSite();
        this.siteBurst = config.limits().perSiteBurst();
        this.addressRate = config.limits().perAddress();
        this.addressBurst = config.limits().perAddressBurst();
    }

    /** One request from this address. */
    public Decision address(String address) {
        return take(addresses, address, addressRate, addressBurst);
    }

    /** One request for this site key. */
    public Decision site(String siteKey) {
        return take(sites, siteKey, siteRate, siteBurst);
    }

    private static Decision take(ConcurrentHashMap<String, Bucket> buckets, String key, double rate, int burst) {
        if (rate <= 0) {
            return Decision.ALLOWED;
        }
        long now = System.nanoTime();
        if (buckets.size() > MAX_BUCKETS) {
            prune(buckets, now, rate, burst);
        }
        Bucket bucket = buckets.computeIfAbsent(key, k -> new Bucket(burst, now));
        synchronized (bucket) {
            double refill = (now - bucket.updatedNanos) / 1e9 * rate;
            bucket.tokens = Math.min(burst, bucket.tokens + refill);
            bucket.updatedNanos = now;
            if (bucket.tokens >= 1) {
                bucket.tokens -= 1;
                return Decision.ALLOWED;
            }
            return new Decision(false, Math.max(1, (long) Math.ceil((1 - bucket.tokens) / rate)));
        }
    }

    private static void prune(ConcurrentHashMap<String, Bucket> buckets, long now, double rate, int burst) {
        buckets.entrySet().removeIf(e -> {
            synchronized (e.getValue()) {
                return e.getValue().tokens + (now - e.getValue().updatedNanos) / 1e9 * rate >= burst;
            }
        });
    }
}
