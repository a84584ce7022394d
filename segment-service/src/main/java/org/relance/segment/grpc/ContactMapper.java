package org.relance.segment.grpc;

import com.google.protobuf.Timestamp;
import java.time.Instant;
import org.relance.api.segment.v1.Consent;
import org.relance.api.segment.v1.ConsentState;
import org.relance.segment.domain.Contact;

/** Contacts to and from proto. */
final class ContactMapper {
    private ContactMapper() {
    }

    static org.relance.api.segment.v1.Contact toProto(Contact c) {
        org.relance.api.segment.v1.Contact.Builder b = org.relance.api.segment.v1.Contact.newBuilder()
                .setContactId(c.contactId())
                .setEmail(nz(c.email()))
                .setFirstName(nz(c.firstName()))
                .setLastName(nz(c.lastName()))
                .setPhone(nz(c.phone()))
                .setCompany(nz(c.company()));
        Consent.Builder consent = Consent.newBuilder().setStateValue(c.consentState()).setSource(nz(c.consentSource()));
        if (c.consentTime() != null) {
            consent.setUpdateTime(ts(c.consentTime()));
        }
        b.setConsent(consent);
        if (c.createTime() != null) {
            b.setCreateTime(ts(c.createTime()));
        }
        if (c.updateTime() != null) {
            b.setUpdateTime(ts(c.updateTime()));
        }
        return b.build();
    }

    static Contact toDomain(org.relance.api.segment.v1.Contact c) {
        org.relance.kit.error.Violations v = new org.relance.kit.error.Violations();
        Instant consentTime = c.getConsent().hasUpdateTime()
                ? org.relance.kit.grpc.ProtoValues.instant(c.getConsent().getUpdateTime(), "contact.consent.update_time", v) : null;
        v.throwIfAny();
        return new Contact(c.getContactId(), nn(c.getEmail()), nn(c.getFirstName()), nn(c.getLastName()), nn(c.getPhone()),
                nn(c.getCompany()), c.getConsent().getState() == ConsentState.UNRECOGNIZED ? 0 : c.getConsent().getStateValue(),
                nn(c.getConsent().getSource()), consentTime, null, null);
    }

    static Timestamp ts(Instant i) {
        return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
    }

    static String nz(String s) {
        return s == null ? "" : s;
    }

    static String nn(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
