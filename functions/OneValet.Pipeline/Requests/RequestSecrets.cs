using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace OneValet.Pipeline.Requests;

/// <summary>
/// The keyed hashes of privacy-request intake (O10, O18), all from one secret that is never in the record store
/// (<see cref="RequestOptions.SecretKey"/>: in Azure a Key Vault reference, locally a key file of the data directory
/// created owner-only). Each use has its own key, derived with HKDF-SHA256 under its own label, so no value made for one
/// use can be replayed as another: the email index, the intake caps, the one-time code and the code's stored hash.
/// A copy of the store (or of a queue, or of a dead letter) without the secret reveals no email address and no code:
/// emails are not kept in these hashes in any form a dictionary attack can test without the key.
/// </summary>
public sealed class RequestSecrets
{
    private readonly byte[] _emailKey;
    private readonly byte[] _capKey;
    private readonly byte[] _codeKey;
    private readonly byte[] _codeHashKey;

    public RequestSecrets(IOptions<RequestOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var secret = DecodeKey(options.Value.SecretKey)
            ?? throw new InvalidOperationException("OneValet:Requests:SecretKey is missing or shorter than 32 bytes (base64).");
        _emailKey = Derive(secret, "onevalet/requests/email-index/v1");
        _capKey = Derive(secret, "onevalet/requests/intake-cap/v1");
        _codeKey = Derive(secret, "onevalet/requests/code/v1");
        _codeHashKey = Derive(secret, "onevalet/requests/code-hash/v1");
        CryptographicOperations.ZeroMemory(secret);
    }

    /// <summary>The smallest secret accepted, in bytes (HMAC-SHA256's block of entropy).</summary>
    public const int MinimumKeyBytes = 32;

    /// <summary>The secret's bytes, or null when the setting is missing, not base64 or too short.</summary>
    public static byte[]? DecodeKey(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value.Trim(), buffer, out var written) && written >= MinimumKeyBytes ? buffer[..written] : null;
    }

    /// <summary>
    /// The one spelling of an email address that the index and the caps hash: trimmed; Unicode NFC (canonical equivalence
    /// only: "é" typed as one code point or as "e" + combining accent is the same address, as RFC 6530 asks of SMTPUTF8
    /// addresses; NFKC is not used because it merges different mailboxes — full-width letters, ligatures, superscripts —
    /// and would let a look-alike address match someone else's record); the domain converted to its ASCII (IDNA) form;
    /// then lower-cased with invariant rules (mail providers treat the local part case-insensitively, and the lookup did
    /// before this index existed).
    /// </summary>
    public static string NormalizeEmail(string email)
    {
        ArgumentNullException.ThrowIfNull(email);
        var trimmed = email.Trim().Normalize(NormalizationForm.FormC);
        var at = trimmed.LastIndexOf('@');
        if (at > 0 && at < trimmed.Length - 1)
        {
            try
            {
                trimmed = string.Concat(trimmed.AsSpan(0, at + 1), new IdnMapping().GetAscii(trimmed[(at + 1)..]));
            }
            catch (ArgumentException)
            {
                // Not a valid internationalized domain: hashed as written (it can match only the same spelling).
            }
        }

        return trimmed.ToLowerInvariant();
    }

    /// <summary>The partition of an address in the email index: HMAC-SHA256 of the normalized address, hex.</summary>
    public string EmailKey(string email) => Mac(_emailKey, NormalizeEmail(email));

    /// <summary>The counter id of one intake cap: HMAC-SHA256 of its kind and what it counts (an address, a subject).</summary>
    public string CapKey(string kind, string value) => Mac(_capKey, kind + "\n" + value);

    /// <summary>
    /// The six-digit one-time code of a request's verification, derived from its random nonce (stored) and the secret (not
    /// stored): the code exists only while a mail is being rendered and in the person's mailbox.
    /// </summary>
    public string Code(string requestId, string nonce)
    {
        var mac = HMACSHA256.HashData(_codeKey, Encoding.UTF8.GetBytes(requestId + "\n" + nonce));
        var value = BitConverter.ToUInt64(mac, 0) % 1_000_000UL; // bias below 1e-13
        return value.ToString("D6", CultureInfo.InvariantCulture);
    }

    /// <summary>What the store keeps of a code: HMAC-SHA256 under its own key, bound to the request.</summary>
    public byte[] CodeHash(string requestId, string code) =>
        HMACSHA256.HashData(_codeHashKey, Encoding.UTF8.GetBytes(requestId + "\n" + code));

    /// <summary>Whether a code entered matches the stored hash, in constant time.</summary>
    public bool CodeMatches(string requestId, string entered, string storedHash)
    {
        ArgumentNullException.ThrowIfNull(entered);
        var expected = new byte[32];
        var parsed = Convert.TryFromBase64String(storedHash ?? string.Empty, expected, out var written) && written == expected.Length;
        var actual = CodeHash(requestId, entered.Trim());
        return CryptographicOperations.FixedTimeEquals(actual, expected) && parsed;
    }

    private static byte[] Derive(byte[] secret, string label) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, info: Encoding.UTF8.GetBytes(label));

    private static string Mac(byte[] key, string value) => Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(value)));
}
