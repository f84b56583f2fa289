using OneValet.Pipeline.Calendars;
using Xunit;

namespace OneValet.Tests.Calendars;

/// <summary>The registry: jurisdiction mapping, lookups, and the checks it makes on calendar files when it loads them.</summary>
public sealed class BusinessCalendarsRegistryTests
{
    [Theory]
    [InlineData("california", null, "us-ca")]
    [InlineData("california", "on", "us-ca")]
    [InlineData("new-york", null, "us-ny")]
    [InlineData("other", null, "us-federal")]
    [InlineData("canada", null, "ca-federal")]
    [InlineData("canada", "", "ca-federal")]
    [InlineData("canada", "  ", "ca-federal")]
    [InlineData("canada", "on", "ca-on")]
    [InlineData("canada", "QC", "ca-qc")]
    [InlineData("canada", " bc ", "ca-bc")]
    [InlineData("canada", "CA-AB", "ca-ab")]
    [InlineData("canada", "nu", "ca-nu")]
    [InlineData("Canada", "Yt", "ca-yt")]
    public void Jurisdictions_map_to_calendars(string jurisdiction, string? region, string expected) =>
        Assert.Equal(expected, BusinessCalendars.Default.CalendarFor(jurisdiction, region));

    [Theory]
    [InlineData("canada", "xx")]
    [InlineData("canada", "federal")]
    [InlineData("texas", null)]
    [InlineData("", null)]
    public void Unknown_jurisdictions_and_regions_are_refused(string jurisdiction, string? region) =>
        Assert.Throws<ArgumentException>(() => BusinessCalendars.Default.CalendarFor(jurisdiction, region));

    [Fact]
    public void An_unknown_id_is_refused_naming_the_known_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => BusinessCalendars.Default.Get("us-tx"));
        Assert.Contains("us-federal", error.Message, StringComparison.Ordinal);
        Assert.Same(BusinessCalendars.Default.Get("us-ny"), BusinessCalendar.Load("us-ny"));
    }

    private static string File(string id, string holidays, string includes = "[]", int first = 2025, int last = 2028) =>
        $$"""{ "id": "{{id}}", "name": "Test {{id}}", "source": "test", "firstYear": {{first}}, "lastYear": {{last}}, "includes": {{includes}}, "holidays": [{{holidays}}] }""";

    private static BusinessCalendars Load(params (string Name, string Json)[] files) =>
        new(files.ToDictionary(f => f.Name, f => f.Json));

    [Fact]
    public void Includes_are_resolved_transitively_and_coverage_is_what_all_of_them_cover()
    {
        var calendars = Load(
            ("base", File("base", """{ "date": "2026-01-01", "name": "A" }""", first: 2024, last: 2030)),
            ("mid", File("mid", """{ "date": "2026-02-02", "name": "B" }""", """["base"]""", first: 2025, last: 2029)),
            ("top", File("top", """{ "date": "2026-03-03", "name": "C" }""", """["mid"]""", first: 2020, last: 2027)));

        var top = calendars.Get("top");
        Assert.Equal([new DateOnly(2026, 1, 1), new DateOnly(2026, 2, 2), new DateOnly(2026, 3, 3)], top.Holidays.Select(h => h.Date));
        Assert.Equal(["base", "mid", "top"], top.Holidays.Select(h => h.CalendarId));
        Assert.Equal((2025, 2027), (top.FirstYear, top.LastYear));
        Assert.Throws<InvalidOperationException>(() => top.IsBusinessDay(new DateOnly(2028, 1, 3)));
        Assert.True(calendars.Get("base").IsBusinessDay(new DateOnly(2030, 1, 3)));
    }

    [Fact]
    public void A_date_in_both_a_calendar_and_its_include_keeps_the_calendars_own_name()
    {
        var calendars = Load(
            ("base", File("base", """{ "date": "2026-01-01", "name": "Base" }""")),
            ("top", File("top", """{ "date": "2026-01-01", "name": "Own" }""", """["base"]""")));
        var holiday = Assert.Single(calendars.Get("top").Holidays);
        Assert.Equal(("Own", "top"), (holiday.Name, holiday.CalendarId));
    }

    [Theory]
    [InlineData("""{ "date": "2026-01-03", "name": "A Saturday" }""", "weekend")]
    [InlineData("""{ "date": "2029-01-01", "name": "Too late" }""", "outside the years")]
    [InlineData("""{ "date": "2026-02-02", "name": "B" }, { "date": "2026-01-01", "name": "A" }""", "date order")]
    [InlineData("""{ "date": "2026-01-01", "name": "A" }, { "date": "2026-01-01", "name": "A again" }""", "date order")]
    [InlineData("""{ "date": "2026-01-01", "name": " " }""", "no name")]
    [InlineData("""{ "date": "2026-13-01", "name": "A" }""", "malformed")]
    [InlineData("""{ "date": "2026-01-01" }""", "malformed")]
    [InlineData("""{ "date": "2026-01-01", "name": "A", "extra": 1 }""", "malformed")]
    public void Bad_holiday_lists_are_refused_when_loaded(string holidays, string problem)
    {
        var error = Assert.Throws<InvalidDataException>(() => Load(("bad", File("bad", holidays))));
        Assert.Contains("bad.json", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inconsistent_files_are_refused_when_loaded()
    {
        Assert.Contains("is not its file name", Assert.Throws<InvalidDataException>(() => Load(("other", File("bad", "")))).Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", Assert.Throws<InvalidDataException>(() => Load(("a", File("a", "", """["nowhere"]""")))).Message, StringComparison.Ordinal);
        Assert.Contains("cycle", Assert.Throws<InvalidDataException>(() => Load(
            ("a", File("a", "", """["b"]""")),
            ("b", File("b", "", """["a"]""")))).Message, StringComparison.Ordinal);
        Assert.Contains("no year in common", Assert.Throws<InvalidDataException>(() => Load(
            ("a", File("a", "", first: 2025, last: 2026)),
            ("b", File("b", "", """["a"]""", first: 2027, last: 2028)))).Message, StringComparison.Ordinal);
        Assert.Contains("not a range", Assert.Throws<InvalidDataException>(() => Load(("a", File("a", "", first: 2028, last: 2025)))).Message, StringComparison.Ordinal);
        Assert.Contains("malformed", Assert.Throws<InvalidDataException>(() => Load(("a", """{ "id": "a", "name": "A", "source": "s", "holidays": [] }"""))).Message, StringComparison.Ordinal);
    }
}
