package fi.raseborg.backbone.sender;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The reference sender: one registration of each kind an organisation may send, on its ingress topic.
 *
 * <pre>
 * SENDER_PASSWORD=... java -cp ... fi.raseborg.backbone.sender.Sender send \
 *     --bootstrap localhost:19092 --organisation kela --intake-url http://localhost:8001 --people people.json
 * java -cp ... fi.raseborg.backbone.sender.Sender check-vectors docs/seal-test-vectors.json
 * </pre>
 *
 * <p>{@code people.json} is an array of PersonalData objects (contracts/ingress.py); the n-th registration
 * carries the n-th person. The password comes from the environment, never the command line. For each
 * message sent it prints one JSON line (message id, source, topic, partition, offset) and nothing personal.
 * Exit status: 0 sent, 2 usage, 3 refused by the broker (e.g. another organisation's topic).
 */
public final class Sender {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ZoneId FINLAND = ZoneId.of("Europe/Helsinki");

    private Sender() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("check-vectors")) {
            System.exit(checkVectors(Path.of(args[1])));
        }
        if (args.length < 1 || !args[0].equals("send")) {
            System.err.println("usage: Sender send --bootstrap HOST:PORT --organisation ORG --intake-url URL "
                    + "--people FILE [--topic TOPIC]  |  Sender check-vectors FILE");
            System.exit(2);
        }
        Map<String, String> options = options(Arrays.copyOfRange(args, 1, args.length));
        String organisation = required(options, "organisation");
        String password = System.getenv("SENDER_PASSWORD");
        if (password == null || password.isEmpty()) {
            System.err.println("set SENDER_PASSWORD to the organisation's Kafka password");
            System.exit(2);
        }
        String publicKey = fetchPublicKey(required(options, "intake-url"));
        JsonNode people = JSON.readTree(Files.readString(Path.of(required(options, "people"))));
        String topic = options.getOrDefault("topic", "ingress." + organisation + ".v1");
        System.exit(send(required(options, "bootstrap"), organisation, password, topic, publicKey, people));
    }

    static int send(String bootstrap, String organisation, String password, String topic, String publicKey,
                    JsonNode people) throws IOException, InterruptedException {
        List<String> sources = Registrations.sourcesOf(organisation);
        if (people.size() < sources.size()) {
            throw new IllegalArgumentException("people: " + sources.size() + " persons needed, one per registration");
        }
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig(bootstrap, organisation,
                password))) {
            LocalDate today = LocalDate.now(FINLAND);
            for (int i = 0; i < sources.size(); i++) {
                UUID messageId = UUID.randomUUID();
                String sealed = Seal.seal(publicKey, JSON.writeValueAsBytes(people.get(i)), messageId);
                Map<String, Object> message = new LinkedHashMap<>();
                message.put("message_id", messageId.toString());
                message.put("type", "Registration");
                message.put("version", 1);
                message.put("sent_at", OffsetDateTime.now(FINLAND).truncatedTo(ChronoUnit.SECONDS).toString());
                message.put("body", Registrations.body(organisation, sources.get(i), today));
                message.put("sealed", sealed);
                ProducerRecord<String, String> record = new ProducerRecord<>(topic, messageId.toString(),
                        JSON.writeValueAsString(message));
                RecordMetadata sent;
                try {
                    sent = producer.send(record).get();
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof AuthorizationException) {
                        System.err.println("refused by the broker: " + e.getCause().getMessage());
                        return 3;
                    }
                    throw new IOException("sending failed", e.getCause());
                }
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("message_id", messageId.toString());
                line.put("source", sources.get(i));
                line.put("topic", sent.topic());
                line.put("partition", sent.partition());
                line.put("offset", sent.offset());
                System.out.println(JSON.writeValueAsString(line));
            }
        }
        return 0;
    }

    /** SASL/SCRAM-SHA-512 as the organisation's own principal, the idempotent producer, acks=all. */
    static Properties producerConfig(String bootstrap, String organisation, String password) {
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put("security.protocol", "SASL_PLAINTEXT"); // SASL_SSL where the broker offers TLS
        config.put("sasl.mechanism", "SCRAM-SHA-512");
        config.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"" + organisation + "\" password=\"" + password.replace("\"", "\\\"") + "\";");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "java-sender-" + organisation);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return config;
    }

    /** Intake's current public key; refuses a key published for another suite or token version. */
    static String fetchPublicKey(String intakeUrl) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(intakeUrl + "/ingress/public-key"))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET /ingress/public-key: HTTP " + response.statusCode());
        }
        JsonNode key = JSON.readTree(response.body());
        JsonNode suite = key.path("suite");
        if (suite.path("kem_id").asInt() != 0x20 || suite.path("kdf_id").asInt() != 1
                || suite.path("aead_id").asInt() != 2 || !key.path("token").asText().startsWith(Seal.VERSION + ".")) {
            throw new IOException("intake publishes a suite this sender does not implement: " + suite);
        }
        String publicKey = key.path("public_key").asText();
        if (!Seal.keyId(java.util.Base64.getDecoder().decode(publicKey)).equals(key.path("key_id").asText())) {
            throw new IOException("the published key id does not match the published key");
        }
        return publicKey;
    }

    /** Open every vector of docs/seal-test-vectors.json and compare; also refuse each under another info. */
    static int checkVectors(Path file) throws IOException {
        JsonNode vectors = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8)).path("vectors");
        int failed = 0;
        for (JsonNode v : vectors) {
            String name = v.path("name").asText();
            byte[] info = Seal.info(UUID.fromString(v.path("message_id").asText()));
            boolean ok = HexFormat.of().formatHex(info).equals(v.path("info_hex").asText())
                    && Seal.keyId(java.util.Base64.getDecoder().decode(v.path("public_key").asText()))
                            .equals(v.path("key_id").asText());
            try {
                byte[] opened = Seal.open(v.path("private_key").asText(), v.path("public_key").asText(),
                        v.path("token").asText(), info);
                ok &= HexFormat.of().formatHex(opened).equals(v.path("plaintext_hex").asText());
            } catch (Exception e) {
                ok = false;
            }
            try {
                Seal.open(v.path("private_key").asText(), v.path("public_key").asText(), v.path("token").asText(),
                        Seal.info(UUID.randomUUID()));
                ok = false; // opened under another message id: wrong
            } catch (Exception expected) {
                // refused, as it must be
            }
            System.out.println((ok ? "ok " : "FAILED ") + name);
            failed += ok ? 0 : 1;
        }
        System.out.println(vectors.size() - failed + " of " + vectors.size() + " vectors match");
        return failed == 0 && vectors.size() > 0 ? 0 : 1;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value, got " + args[i]);
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        return options;
    }

    private static String required(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null) {
            System.err.println("missing --" + name);
            System.exit(2);
        }
        return value;
    }
}
