using OneValet.Pipeline.Api;
using Xunit;

namespace OneValet.Tests.Authorization;

public sealed class CardNumberTests
{
    [Theory]
    [InlineData("4111111111111111", true)]
    [InlineData("4111111111111112", false)]
    [InlineData("79927398713", true)]
    [InlineData("79927398710", false)]
    [InlineData("0", true)]
    [InlineData("", false)]
    [InlineData("12a4", false)]
    public void Luhn(string digits, bool valid) => Assert.Equal(valid, CardNumbers.IsLuhnValid(digits));

    [Theory]
    [InlineData("4111 1111 1111 1111")]
    [InlineData("pay with 4111-1111-1111-1111 please")]
    [InlineData("5500000000000004")]
    [InlineData("378282246310005")] // Amex, 15 digits
    [InlineData("6011000990139424")]
    [InlineData("4222222222222")] // 13 digits
    [InlineData("６０１１０００９９０１３９４２４")] // full-width digits (NFKC)
    [InlineData("4111\u200B1111\u200B1111\u200B1111")] // zero-width spaces
    [InlineData("\u202E4111111111111111")] // right-to-left override
    public void Finds_card_numbers_in_text(string text) => Assert.True(CardNumbers.ContainsCardNumber(text));

    [Theory]
    [InlineData(null)]
    [InlineData("4111 1111 1111 1112")] // fails Luhn
    [InlineData("411111111111")] // 12 digits
    [InlineData("41111111111111111111")] // 20 digits
    [InlineData("2026-11-26T15:04:05Z")]
    [InlineData("+1 (212) 555-0100")]
    [InlineData("4111  1111 1111 1111")] // two spaces split the run
    [InlineData("r-4111-a-1111")]
    public void Leaves_other_text_alone(string? text) => Assert.False(CardNumbers.ContainsCardNumber(text));
}
