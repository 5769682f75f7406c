package fi.raseborg.backbone.sender;

import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The registrations each organisation may send (docs/ingress.md, "What each organisation may send"),
 * with example facts: codes and dates only. A real system fills these from its own records.
 */
public final class Registrations {
    private Registrations() {
    }

    /** The sources {@code organisation} may send, in the order the sender sends them. */
    public static List<String> sourcesOf(String organisation) {
        return switch (organisation) {
            case "employment-region" -> List.of("employment_region_jobseeker", "authority_contact");
            case "kela" -> List.of("kela_notification", "authority_contact");
            case "raseborg", "hango", "inga" -> List.of("refugee_placement", "municipal_newcomer_notice",
                    "authority_contact");
            case "luvn" -> List.of("authority_contact");
            default -> throw new IllegalArgumentException("unknown organisation: " + organisation);
        };
    }

    /** The municipality an organisation's residents live in: a municipality's own, else Hanko for the example. */
    static String homeMunicipality(String organisation) {
        return switch (organisation) {
            case "raseborg", "hango", "inga" -> organisation;
            default -> "hango";
        };
    }

    /** The `body` of a registration of {@code source} sent by {@code organisation} on {@code today}. */
    public static Map<String, Object> body(String organisation, String source, LocalDate today) {
        String recent = today.minusDays(3).toString();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("source", source);
        body.put("home_municipality", homeMunicipality(organisation));
        body.put("first_permit_date", today.minusDays(365).toString());
        switch (source) {
            case "employment_region_jobseeker" -> {
                body.put("registered_on", today.toString());
                body.put("service_point", "hanko");
            }
            case "kela_notification" -> {
                body.put("benefit", "social_assistance");
                body.put("non_temporary", true);
                body.put("decided_on", recent);
            }
            case "refugee_placement" -> {
                body.put("protection", "quota_refugee");
                body.put("placed_on", recent);
            }
            case "municipal_newcomer_notice" -> {
                body.put("native_language", "ar");
                body.put("moved_in_on", recent);
            }
            case "authority_contact" -> {
                body.put("consent_given_on", recent);
                body.put("needs_assessment", true);
            }
            default -> throw new IllegalArgumentException("unknown source: " + source);
        }
        return body;
    }
}
