package org.relance.segment.persistence;

import io.r2dbc.spi.Readable;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.relance.kit.db.Database;
import org.relance.kit.db.Reactive;
import org.relance.kit.db.Sql;
import org.relance.kit.error.AlreadyExistsException;
import org.relance.kit.error.NotFoundException;
import org.relance.kit.error.RuleViolationException;
import org.relance.kit.time.Instants;
import org.relance.segment.domain.Contact;
import reactor.core.publisher.Mono;

/** Contacts, their visitors, suppression after erasure, and the local part of an erasure. */
@Singleton
public class ContactRepository {
    /** Reason of the RuleViolation raised for an erased contact. */
    public static final String CONTACT_SUPPRESSED = "CONTACT_SUPPRESSED";
    static final String COLUMNS = "contact_id, email, first_name, last_name, phone, company, consent_state, consent_source, "
            + "consent_time, create_time, update_time";

    private final Database database;
    private final Clock clock;

    public ContactRepository(Database database, Clock clock) {
        this.database = database;
        this.clock = clock;
    }

    static Contact map(Readable row) {
        return new Contact(row.get("contact_id", String.class), row.get("email", String.class), row.get("first_name", String.class),
                row.get("last_name", String.class), row.get("phone", String.class), row.get("company", String.class),
                row.get("consent_state", Short.class), row.get("consent_source", String.class), Sql.instant(row, "consent_time"),
                Sql.instant(row, "create_time"), Sql.instant(row, "update_time"));
    }

    /** The key e-mails are compared by. */
    public static String emailKey(String email) {
        return email == null || email.isBlank() ? null : email.strip().toLowerCase(Locale.ROOT);
    }

    /** SHA-256 (hex) of an e-mail key, kept after erasure instead of the address. */
    public static String emailHash(String email) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(emailKey(email).getBytes(StandardCharsets.UTF_8));
            StringBuilder b = new StringBuilder();
            for (byte x : d) {
                b.append(String.format("%02x", x));
            }
            return b.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Creates or replaces a contact; returns it and whether it was created. */
    public Uni<java.util.Map.Entry<Contact, Boolean>> upsert(Contact contact) {
        Instant now = Instants.now(clock);
        return Reactive.uni(database.inTransaction(c -> suppressed(c, contact.contactId(), contact.email())
                .flatMap(blocked -> blocked ? Mono.error(suppressedError()) : Sql.query(c,
                        "SELECT contact_id FROM contact WHERE email_key = $1 AND contact_id <> $2",
                        row -> row.get("contact_id", String.class), emailKey(contact.email()), contact.contactId()).next()
                        .flatMap(other -> Mono.<Boolean>error(new AlreadyExistsException("the e-mail is already the contact "
                                + other + "'s")))
                        .defaultIfEmpty(true))
                .then(Sql.query(c, "INSERT INTO contact AS k (" + COLUMNS + ", email_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
                                + "$10, $10, $11) ON CONFLICT (contact_id) DO UPDATE SET email = EXCLUDED.email, first_name = EXCLUDED.first_name, "
                                + "last_name = EXCLUDED.last_name, phone = EXCLUDED.phone, company = EXCLUDED.company, "
                                + "consent_state = EXCLUDED.consent_state, consent_source = EXCLUDED.consent_source, "
                                + "consent_time = EXCLUDED.consent_time, update_time = EXCLUDED.update_time, email_key = EXCLUDED.email_key "
                                + "RETURNING " + COLUMNS + ", (xmax = 0) AS created",
                        row -> java.util.Map.entry(map(row), Boolean.TRUE.equals(row.get("created", Boolean.class))),
                        contact.contactId(), contact.email(), contact.firstName(), contact.lastName(), contact.phone(),
                        contact.company(), (short) contact.consentState(), contact.consentSource(),
                        contact.consentTime() == null ? new Sql.Null(java.time.OffsetDateTime.class) : Instants.micros(contact.consentTime()),
                        now, emailKey(contact.email())).next())));
    }

    public Uni<Contact> get(String contactId) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT " + COLUMNS + " FROM contact WHERE contact_id = $1",
                        ContactRepository::map, contactId)).next()
                .switchIfEmpty(Mono.error(() -> new NotFoundException("contact " + contactId + " does not exist"))));
    }

    public Uni<Contact> findByEmail(String email) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT " + COLUMNS + " FROM contact WHERE email_key = $1",
                        ContactRepository::map, emailKey(email))).next()
                .switchIfEmpty(Mono.error(() -> new NotFoundException("no contact has this e-mail"))));
    }

    /** A visitor link of a contact. */
    public record VisitorLink(String storeId, String visitorId, Instant linkTime) {
    }

    public Uni<List<VisitorLink>> visitors(String contactId) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c,
                "SELECT store_id, visitor_id, link_time FROM visitor_link WHERE contact_id = $1 ORDER BY store_id, visitor_id",
                row -> new VisitorLink(row.get("store_id", String.class), row.get("visitor_id", String.class),
                        Sql.instant(row, "link_time")), contactId)).collectList());
    }

    /**
     * The contact a visitor is: by id (created bare when new) or by e-mail (created with a new id
     * when no contact has it). Names fill only what the contact lacks. Records the visitor link.
     * Returns the contact and whether it was created.
     */
    public Uni<java.util.Map.Entry<Contact, Boolean>> identify(String storeId, String visitorId, String contactId, String email,
                                                               String firstName, String lastName) {
        Instant now = Instants.now(clock);
        return Reactive.uni(database.inTransaction(c -> suppressed(c, contactId, email)
                .flatMap(blocked -> blocked ? Mono.error(suppressedError())
                        : (contactId != null
                        ? Sql.query(c, "SELECT " + COLUMNS + " FROM contact WHERE contact_id = $1", ContactRepository::map, contactId).next()
                        : Sql.query(c, "SELECT " + COLUMNS + " FROM contact WHERE email_key = $1", ContactRepository::map, emailKey(email)).next())
                        .map(found -> java.util.Map.entry(found, false))
                        // Two identifications of one new contact at once (a page's fetch and its page-hide
                        // beacon carry the same Identify): the second waits for the first's row and reads it.
                        .switchIfEmpty(Mono.defer(() -> Sql.query(c, "INSERT INTO contact (contact_id, email, email_key, create_time, update_time) "
                                        + "VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING RETURNING " + COLUMNS, ContactRepository::map,
                                contactId != null ? contactId : "c-" + java.util.UUID.randomUUID(), email, emailKey(email), now).next()
                                .map(created -> java.util.Map.entry(created, true))
                                .switchIfEmpty(Mono.defer(() -> (contactId != null
                                        ? Sql.query(c, "SELECT " + COLUMNS + " FROM contact WHERE contact_id = $1", ContactRepository::map, contactId).next()
                                        : Sql.query(c, "SELECT " + COLUMNS + " FROM contact WHERE email_key = $1", ContactRepository::map, emailKey(email)).next())
                                        .map(found -> java.util.Map.entry(found, false)))))))
                .flatMap(entry -> firstName == null && lastName == null ? Mono.just(entry)
                        : Sql.query(c, "UPDATE contact SET first_name = COALESCE(first_name, $2), last_name = COALESCE(last_name, $3), "
                                        + "update_time = $4 WHERE contact_id = $1 AND ((first_name IS NULL AND $2::text IS NOT NULL) "
                                        + "OR (last_name IS NULL AND $3::text IS NOT NULL)) RETURNING " + COLUMNS, ContactRepository::map,
                                entry.getKey().contactId(), firstName, lastName, now).next()
                        .map(updated -> java.util.Map.entry(updated, entry.getValue()))
                        .defaultIfEmpty(entry))
                .flatMap(entry -> Sql.update(c, "INSERT INTO visitor_link (store_id, visitor_id, contact_id, link_time) VALUES ($1, $2, $3, $4) "
                                + "ON CONFLICT (store_id, visitor_id) DO UPDATE SET contact_id = EXCLUDED.contact_id, link_time = EXCLUDED.link_time",
                        storeId, visitorId, entry.getKey().contactId(), now).thenReturn(entry))));
    }

    /**
     * What the local part of an erasure removed; {@code pageViews} counts page-visit fact rows
     * (daily counts per URL of the contact, and of its visitors not linked yet).
     */
    public record LocalErasure(long contacts, long facts, long visitors, long pageViews, String emailHash, Instant time) {
    }

    /**
     * Suppresses the contact (id, and e-mail hash) first, then deletes it, its notifications, its
     * visitor links, its page-visit facts (its visitors' uncounted views included) and every fact
     * about it. Repeating it is harmless.
     */
    public Uni<LocalErasure> eraseLocal(String contactId, String email) {
        Instant now = Instants.now(clock);
        String hash = email == null ? null : emailHash(email);
        return Reactive.uni(database.inTransaction(c -> Sql.update(c, "INSERT INTO suppression (subject, create_time) "
                                + "SELECT s, $2 FROM unnest($1::text[]) AS s WHERE s IS NOT NULL ON CONFLICT DO NOTHING",
                        new String[] {"contact:" + contactId, hash == null ? null : "email:" + hash}, now)
                // Its notifications go too: payloads hold the e-mail address and names (attempts cascade).
                .then(Sql.update(c, "DELETE FROM notification WHERE contact_id = $1", contactId))
                // Views of its visitors whose link has not come through the page stream yet.
                .then(Sql.update(c, "DELETE FROM visitor_page_day d USING (SELECT store_id, visitor_id FROM visitor_link WHERE contact_id = $1 "
                        + "UNION SELECT store_id, visitor_id FROM page_visitor WHERE contact_id = $1) k "
                        + "WHERE d.store_id = k.store_id AND d.visitor_id = k.visitor_id", contactId))
                .flatMap(pending -> Sql.update(c, "DELETE FROM contact_page_day WHERE contact_id = $1", contactId)
                        .flatMap(visits -> Sql.update(c, "DELETE FROM page_visitor WHERE contact_id = $1", contactId)
                                .then(Sql.update(c, "DELETE FROM visitor_link WHERE contact_id = $1", contactId))
                                .flatMap(visitors -> Sql.update(c, "DELETE FROM cart_fact WHERE contact_id = $1", contactId)
                                        .flatMap(carts -> Sql.update(c, "DELETE FROM purchase_fact WHERE contact_id = $1", contactId)
                                                .flatMap(purchases -> Sql.update(c, "DELETE FROM contact_fact WHERE contact_id = $1", contactId)
                                                        .flatMap(facts -> Sql.update(c, "DELETE FROM contact WHERE contact_id = $1", contactId)
                                                                .map(contacts -> new LocalErasure(contacts, carts + purchases + facts, visitors,
                                                                        visits + pending, hash, now))))))))));
    }

    private static Mono<Boolean> suppressed(io.r2dbc.spi.Connection c, String contactId, String email) {
        String[] subjects = {contactId == null ? null : "contact:" + contactId,
                email == null || emailKey(email) == null ? null : "email:" + emailHash(email)};
        return Sql.query(c, "SELECT 1 AS x FROM suppression WHERE subject = ANY($1::text[])", row -> 1, (Object) subjects).hasElements();
    }

    private static RuleViolationException suppressedError() {
        return new RuleViolationException(CONTACT_SUPPRESSED, "this contact was erased and is no longer tracked");
    }

}
