package fi.raseborg.backbone.sender;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;

import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.hpke.HPKE;

/**
 * The seal of the personal part of an ingress message (docs/ingress.md, contracts/sealing.py, v2).
 *
 * <p>HPKE (RFC 9180) base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, single-shot,
 * {@code info = "ingress:" + message id} (UTF-8), empty AAD. The token is
 * {@code v2.<key id>.<base64url without padding of enc || ciphertext>}, the key id being the hex of the
 * first 8 bytes of SHA-256 of intake's raw 32-byte public key.
 */
public final class Seal {
    public static final String VERSION = "v2";
    private static final int ENC_BYTES = 32;
    private static final byte[] NO_AAD = new byte[0];

    private Seal() {
    }

    private static HPKE suite() {
        return new HPKE(HPKE.mode_base, HPKE.kem_X25519_SHA256, HPKE.kdf_HKDF_SHA256, HPKE.aead_AES_GCM256);
    }

    /** What the seal is bound to: the message id, so a box lifted into another message does not open. */
    public static byte[] info(UUID messageId) {
        return ("ingress:" + messageId).getBytes(StandardCharsets.UTF_8);
    }

    /** Seal {@code plaintext} to intake's public key (standard base64 of the raw 32 bytes) for this message. */
    public static String seal(String publicKeyBase64, byte[] plaintext, UUID messageId) {
        byte[] publicKey = Base64.getDecoder().decode(publicKeyBase64);
        HPKE hpke = suite();
        try {
            byte[][] sealed = hpke.seal(hpke.deserializePublicKey(publicKey), info(messageId), NO_AAD, plaintext,
                    null, null, null); // {ciphertext, enc}
            byte[] body = new byte[sealed[1].length + sealed[0].length];
            System.arraycopy(sealed[1], 0, body, 0, sealed[1].length);
            System.arraycopy(sealed[0], 0, body, sealed[1].length, sealed[0].length);
            return VERSION + "." + keyId(publicKey) + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(body);
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException("sealing failed", e);
        }
    }

    /** Open a token with a private key (for checking against the published test vectors). */
    public static byte[] open(String privateKeyBase64, String publicKeyBase64, String token, byte[] info)
            throws InvalidCipherTextException {
        String[] parts = token.split("\\.");
        if (parts.length != 3 || !parts[0].equals(VERSION)) {
            throw new IllegalArgumentException("not a " + VERSION + " token");
        }
        byte[] body = Base64.getUrlDecoder().decode(parts[2]);
        HPKE hpke = suite();
        AsymmetricCipherKeyPair pair = hpke.deserializePrivateKey(Base64.getDecoder().decode(privateKeyBase64),
                Base64.getDecoder().decode(publicKeyBase64));
        return hpke.open(Arrays.copyOfRange(body, 0, ENC_BYTES), pair, info, NO_AAD,
                Arrays.copyOfRange(body, ENC_BYTES, body.length), null, null, null);
    }

    /** Hex of the first 8 bytes of SHA-256 of the raw public key. */
    public static String keyId(byte[] rawPublicKey) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(rawPublicKey);
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
