using System.Text.Json;
using OneValet.Pipeline.Calendars;
using Xunit;

namespace OneValet.Tests.Calendars;

/// <summary>
/// The holiday rules (D1, issue 15.1): the calendar files are the oracle, and the rules reproduce every holiday of every
/// file, names included, for every year it lists, and nothing more; beyond the files the rules go on (2031, 2040), checked
/// against dates counted by hand from the statutes; Easter against published dates.
/// </summary>
public sealed class CalendarRulesTests
{
    public static TheoryData<string> Files() => [.. BusinessCalendars.Default.Ids];

    [Theory]
    [MemberData(nameof(Files))]
    public void The_rules_reproduce_the_calendar_file_exactly_for_its_years(string id)
    {
        var rules = BusinessCalendars.Default.Rules!;
        Assert.True(rules.Has(id));
        using var file = JsonDocument.Parse(ReadFile(id));
        var first = file.RootElement.GetProperty("firstYear").GetInt32();
        var last = file.RootElement.GetProperty("lastYear").GetInt32();
        var listed = file.RootElement.GetProperty("holidays").EnumerateArray()
            .Select(h => (Date: DateOnly.Parse(h.GetProperty("date").GetString()!, System.Globalization.CultureInfo.InvariantCulture), Name: h.GetProperty("name").GetString()!))
            .ToList();
        var computed = Enumerable.Range(first, last - first + 1).SelectMany(y => rules.In(id, y).Values).OrderBy(h => h.Date).Select(h => (h.Date, h.Name)).ToList();
        Assert.Equal(listed, computed);
    }

    [Fact]
    public void Easter_matches_the_published_dates()
    {
        Assert.Equal(new DateOnly(2025, 4, 20), HolidayRules.EasterSunday(2025));
        Assert.Equal(new DateOnly(2031, 4, 13), HolidayRules.EasterSunday(2031));
        Assert.Equal(new DateOnly(2038, 4, 25), HolidayRules.EasterSunday(2038)); // the latest possible date
        Assert.Equal(new DateOnly(2040, 4, 1), HolidayRules.EasterSunday(2040));
        Assert.Equal(new DateOnly(2285, 3, 22), HolidayRules.EasterSunday(2285)); // the earliest possible date
    }

    [Fact]
    public void Years_far_past_the_files_have_their_holidays()
    {
        var on = BusinessCalendars.Default.Get("ca-on");
        Assert.Equal("Good Friday", on.HolidayOn(new DateOnly(2031, 4, 11))?.Name);
        Assert.Equal("Victoria Day", on.HolidayOn(new DateOnly(2031, 5, 19))?.Name); // the Monday before 25 May
        // 2033: Boxing Day is Monday 26 and stays; Christmas, on the Sunday, goes to the next weekday not a holiday, Tuesday 27.
        Assert.Equal("Boxing Day", on.HolidayOn(new DateOnly(2033, 12, 26))?.Name);
        Assert.Equal("Christmas Day (observed)", on.HolidayOn(new DateOnly(2033, 12, 27))?.Name);

        var federal = BusinessCalendars.Default.Get("us-federal");
        Assert.Equal("Juneteenth National Independence Day (observed)", federal.HolidayOn(new DateOnly(2039, 6, 20))?.Name); // 19 June 2039 is a Sunday
        Assert.Equal("New Year's Day 2039 (observed)", federal.HolidayOn(new DateOnly(2038, 12, 31))?.Name); // 1 January 2039 is a Saturday
        Assert.Equal("Thanksgiving Day", federal.HolidayOn(new DateOnly(2040, 11, 22))?.Name);

        var california = BusinessCalendars.Default.Get("us-ca");
        Assert.Equal("Veterans Day (observed)", california.HolidayOn(new DateOnly(2034, 11, 10))?.Name); // Saturday 11 November 2034
        Assert.Null(california.HolidayOn(new DateOnly(2033, 12, 23))); // Christmas 2033 on a Sunday moves to Monday, never to Friday
        Assert.Equal("Christmas Day (observed)", california.HolidayOn(new DateOnly(2033, 12, 26))?.Name);
    }

    [Fact]
    public void Counting_business_days_in_2031_and_2040_works_across_the_year_end()
    {
        var calendars = BusinessCalendars.Default;
        // us-ny from Friday 19 December 2031: Mon 22 (1), 23, 24, Thu 25 Christmas, Fri 26 (4), Mon 29, 30, 31 (7),
        // Thu 1 Jan New Year, Fri 2 (8), Mon 5 (9), Tue 6 (10).
        Assert.Equal(new DateOnly(2032, 1, 6), calendars.Get("us-ny").AddBusinessDays(new DateOnly(2031, 12, 19), 10));
        // ca-federal from Friday 21 December 2040: Mon 24 (1), Tue 25 Christmas, Wed 26 Boxing Day, Thu 27, Fri 28, Mon 31
        // (4), Tue 1 Jan New Year, Wed 2 ... Fri 4 (7), Mon 7, Tue 8, Wed 9 (10).
        Assert.Equal(new DateOnly(2041, 1, 9), calendars.Get("ca-federal").AddBusinessDays(new DateOnly(2040, 12, 21), 10));
        // A breach deadline across every calendar (O14) in 2040 no longer throws.
        // Without Boxing Day (us-ny, ca-ab, ...) the tenth business day is Tuesday 8 January 2041, the earliest of all.
        var deadline = calendars.EarliestDeadline(new DateTimeOffset(2040, 12, 21, 12, 0, 0, TimeSpan.Zero), 10, calendars.Ids, TimeZoneInfo.Utc);
        Assert.Equal(new DateTimeOffset(2041, 1, 8, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_999), deadline);
    }

    private static string ReadFile(string id)
    {
        var assembly = typeof(BusinessCalendars).Assembly;
        using var stream = assembly.GetManifestResourceStream("OneValet.Pipeline.Calendars." + id + ".json")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
