package org.relance.kit.grpc;

import java.math.BigDecimal;
import java.math.RoundingMode;
import org.relance.api.common.v1.Money;
import org.relance.kit.error.Violations;

/** Exact conversions between {@code relance.common.v1.Money} and {@link BigDecimal}. */
public final class Moneys {
    private static final int NANOS_MAX = 999_999_999;

    private Moneys() {
    }

    /**
     * The amount of {@code money}; when its nanos are out of range or disagree in sign with its
     * units, a violation is recorded and zero returned (the request is refused anyway).
     */
    public static BigDecimal toDecimal(String field, Money money, Violations v) {
        long units = money.getUnits();
        int nanos = money.getNanos();
        if (nanos < -NANOS_MAX || nanos > NANOS_MAX) {
            v.add(field + ".nanos", "must be between -999999999 and 999999999");
            return BigDecimal.ZERO;
        }
        if ((units > 0 && nanos < 0) || (units < 0 && nanos > 0)) {
            v.add(field + ".nanos", "must have the same sign as units");
            return BigDecimal.ZERO;
        }
        BigDecimal value = BigDecimal.valueOf(units).add(BigDecimal.valueOf(nanos, 9)).stripTrailingZeros();
        return value.scale() < 0 ? value.setScale(0, RoundingMode.UNNECESSARY) : value;
    }

    /** {@code amount} in {@code currencyCode}; more than nine decimals are rounded half-even. */
    public static Money toMoney(BigDecimal amount, String currencyCode) {
        BigDecimal scaled = amount.setScale(9, RoundingMode.HALF_EVEN);
        BigDecimal units = new BigDecimal(scaled.toBigInteger());
        return Money.newBuilder()
                .setCurrencyCode(currencyCode == null ? "" : currencyCode)
                .setUnits(units.longValueExact())
                .setNanos(scaled.subtract(units).movePointRight(9).intValueExact())
                .build();
    }
}
