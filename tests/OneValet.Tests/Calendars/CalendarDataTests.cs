using System.Text.Json;
using OneValet.Pipeline.Calendars;
using OneValet.Pipeline.Residents;
using Xunit;

namespace OneValet.Tests.Calendars;

/// <summary>The calendar files themselves, read straight from the embedded resources (not through the loader).</summary>
public sealed class CalendarDataTests
{
    private const string Prefix = "OneValet.Pipeline.Calendars.";

    private static readonly string[] Required = ["us-federal", "us-ny", "us-ca", "ca-federal", "ca-on", "ca-qc", "ca-bc", "ca-ab"];

    private static readonly string[] AllProvincesAndTerritories = ["ab", "bc", "mb", "nb", "nl", "ns", "nt", "nu", "on", "pe", "qc", "sk", "yt"];

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var name in ResourceNames())
        {
            data.Add(name[Prefix.Length..^".json".Length]);
        }

        return data;
    }

    private static IEnumerable<string> ResourceNames() =>
        typeof(BusinessCalendars).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    private static JsonElement Read(string fileName)
    {
        using var stream = typeof(BusinessCalendars).Assembly.GetManifestResourceStream(Prefix + fileName + ".json")!;
        using var document = JsonDocument.Parse(stream);
        return document.RootElement.Clone();
    }

    [Fact]
    public void The_required_calendars_and_all_thirteen_provinces_and_territories_are_embedded()
    {
        var ids = ResourceNames().Select(n => n[Prefix.Length..^".json".Length]).ToList();
        Assert.Equal(17, ids.Count);
        Assert.All(Required, id => Assert.Contains(id, ids));
        Assert.All(AllProvincesAndTerritories, code => Assert.Contains("ca-" + code, ids));
        Assert.Equal(ids, BusinessCalendars.Default.Ids);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Each_file_names_itself_its_source_and_its_years(string fileName)
    {
        var root = Read(fileName);
        Assert.Equal(fileName, root.GetProperty("id").GetString());
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("name").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("source").GetString()));
        Assert.Equal(2025, root.GetProperty("firstYear").GetInt32());
        Assert.Equal(2028, root.GetProperty("lastYear").GetInt32());
        foreach (var included in root.GetProperty("includes").EnumerateArray())
        {
            Assert.Contains(included.GetString()!, BusinessCalendars.Default.Ids);
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Each_files_dates_are_sorted_unique_weekdays_within_2025_to_2028(string fileName)
    {
        var holidays = Read(fileName).GetProperty("holidays").EnumerateArray()
            .Select(h => (Date: DateOnly.ParseExact(h.GetProperty("date").GetString()!, "yyyy-MM-dd"), Name: h.GetProperty("name").GetString()))
            .ToList();

        Assert.NotEmpty(holidays);
        Assert.Equal(holidays.Select(h => h.Date).Order(), holidays.Select(h => h.Date));
        Assert.Equal(holidays.Count, holidays.Select(h => h.Date).Distinct().Count());
        Assert.All(holidays, h =>
        {
            Assert.InRange(h.Date.Year, 2025, 2028);
            Assert.False(h.Date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday, $"{h.Date} ({h.Name}) is a weekend day");
            Assert.False(string.IsNullOrWhiteSpace(h.Name));
        });
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Each_calendar_loads_and_has_a_plausible_number_of_holidays_every_year(string id)
    {
        var calendar = BusinessCalendars.Default.Get(id);
        Assert.Equal(id, calendar.Id);
        Assert.Equal((2025, 2028), (calendar.FirstYear, calendar.LastYear));
        for (var year = 2025; year <= 2028; year++)
        {
            // From Nova Scotia's 6 paid holidays to New York's 13; a Saturday holiday that is not moved can drop a year by one or two.
            Assert.InRange(calendar.Holidays.Count(h => h.Date.Year == year), 5, 14);
        }

        Assert.All(calendar.Holidays, h => Assert.False(calendar.IsBusinessDay(h.Date)));
    }

    [Fact]
    public void New_york_has_the_federal_days_it_observes_but_not_the_federal_friday_observances_of_saturday_holidays()
    {
        var federal = BusinessCalendars.Default.Get("us-federal").Holidays.Select(h => h.Date).ToHashSet();
        var newYork = BusinessCalendars.Default.Get("us-ny");
        DateOnly[] fridays = [new(2026, 7, 3), new(2027, 6, 18), new(2027, 12, 24), new(2027, 12, 31), new(2028, 11, 10)];

        Assert.Empty(newYork.Includes);
        Assert.Equal([.. federal.Except(fridays).Order()], newYork.Holidays.Select(h => h.Date).Where(federal.Contains).Order());
        Assert.All(newYork.Holidays.Where(h => !federal.Contains(h.Date)), h => Assert.Matches("^(Lincoln's Birthday|Election Day)$", h.Name));
        Assert.All(fridays, d => Assert.True(newYork.IsBusinessDay(d)));
    }

    [Fact]
    public void The_counts_per_year_are_the_expected_ones_for_the_main_calendars()
    {
        static int[] PerYear(string id) =>
            [.. Enumerable.Range(2025, 4).Select(y => BusinessCalendars.Default.Get(id).Holidays.Count(h => h.Date.Year == y))];

        // US federal: 11 a year, but New Year's Day 2028 (a Saturday) is observed on Friday 31 December 2027.
        Assert.Equal([11, 11, 12, 10], PerYear("us-federal"));
        Assert.Equal([13, 12, 11, 10], PerYear("us-ny"));
        // California does not move Saturday holidays (4 July 2026, 25 December 2027, 1 January 2028).
        Assert.Equal([11, 10, 10, 10], PerYear("us-ca"));
        Assert.Equal([10, 10, 10, 10], PerYear("ca-federal"));
        Assert.Equal([9, 9, 9, 9], PerYear("ca-on"));
        Assert.Equal([8, 8, 8, 8], PerYear("ca-qc"));
        Assert.Equal([11, 11, 11, 11], PerYear("ca-bc"));
        Assert.Equal([9, 9, 9, 9], PerYear("ca-ab"));
    }

    [Fact]
    public void Every_jurisdiction_the_pipeline_records_has_a_calendar()
    {
        foreach (var jurisdiction in ResidentsApi.Jurisdictions)
        {
            var id = BusinessCalendars.Default.CalendarFor(jurisdiction, null);
            Assert.Contains(id, BusinessCalendars.Default.Ids);
        }

        Assert.All(AllProvincesAndTerritories, code => Assert.Equal("ca-" + code, BusinessCalendars.Default.CalendarFor("canada", code)));
    }
}
