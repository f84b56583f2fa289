using OneValet.Pipeline.Ingestion;
using Xunit;

namespace OneValet.Tests.Ingestion;

/// <summary>The hardware upload contract's names, times and magic bytes (O1, O2).</summary>
public sealed class UploadContractTests
{
    [Theory]
    [InlineData("b-1/door-2/cap-3.mp4", "b-1", "door-2", "cap-3", "mp4")]
    [InlineData("b/d/c.jpg", "b", "d", "c", "jpg")]
    public void Valid_names_parse_into_their_parts(string blobName, string building, string door, string capture, string ext)
    {
        Assert.True(UploadName.TryParse(blobName, out var name));
        Assert.Equal(new UploadName(building, door, capture, ext), name);
        Assert.Equal(blobName, name.BlobName);
        Assert.Equal($"{door}_{capture}", name.RecordId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("b/d/c")]
    [InlineData("b/d/c.png")]
    [InlineData("b/d/c.MP4")]
    [InlineData("B/d/c.mp4")]
    [InlineData("b/d/e/c.mp4")]
    [InlineData("b//c.mp4")]
    [InlineData("b/d/c_1.mp4")]
    [InlineData("b/d/c.mp4\n")]
    [InlineData("b/d/ｃ.mp4")]
    public void Invalid_names_are_refused(string blobName) => Assert.False(UploadName.TryParse(blobName, out _));

    [Fact]
    public void Ids_are_at_most_64_characters()
    {
        Assert.True(UploadName.IsValidId(new string('a', 64)));
        Assert.False(UploadName.IsValidId(new string('a', 65)));
        Assert.False(UploadName.IsValidId(null));
    }

    [Theory]
    [InlineData("2026-11-26T10:00:00Z", "2026-11-26T10:00:00+00:00")]
    [InlineData("2026-11-26T10:00:00.123Z", "2026-11-26T10:00:00.123+00:00")]
    [InlineData("2026-11-26T05:00:00-05:00", "2026-11-26T10:00:00+00:00")]
    public void Capture_times_must_carry_an_offset_and_are_kept_in_utc(string text, string expected)
    {
        Assert.True(RecordingIngestor.TryParseUtc(text, out var value));
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), value);
        Assert.Equal(TimeSpan.Zero, value.Offset);
    }

    [Theory]
    [InlineData("2026-11-26T10:00:00")]
    [InlineData("2026-11-26")]
    [InlineData("yesterday")]
    [InlineData("2026-13-26T10:00:00Z")]
    [InlineData("")]
    [InlineData("01/02/2026 00:00:00Z")]
    [InlineData("26 Nov 2026 10:00:00Z")]
    [InlineData("2026-11-26 10:00:00Z")]
    [InlineData(" 2026-11-26T10:00:00Z")]
    [InlineData("2026-11-26T10:00Z")]
    [InlineData("2026-11-26T10:00:00+0500")]
    public void Capture_times_without_an_offset_or_malformed_are_refused(string text) =>
        Assert.False(RecordingIngestor.TryParseUtc(text, out _));

    [Fact]
    public void Magic_bytes_must_match_the_extension()
    {
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0, 0, 0];
        byte[] mp4 = [0, 0, 0, 0x18, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'i', (byte)'s', (byte)'o', (byte)'m'];
        Assert.True(MagicBytes.Match("jpg", jpeg));
        Assert.True(MagicBytes.Match("mp4", mp4));
        Assert.False(MagicBytes.Match("mp4", jpeg));
        Assert.False(MagicBytes.Match("jpg", mp4));
        Assert.False(MagicBytes.Match("jpg", jpeg.AsSpan(0, 2)));
        Assert.False(MagicBytes.Match("png", jpeg));
    }
}
