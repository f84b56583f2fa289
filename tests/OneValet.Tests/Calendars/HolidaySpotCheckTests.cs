using OneValet.Pipeline.Calendars;
using Xunit;

namespace OneValet.Tests.Calendars;

/// <summary>Real dates, checked by hand against each jurisdiction's rules: whole 2026 lists and the weekend edge cases.</summary>
public sealed class HolidaySpotCheckTests
{
    private static DateOnly[] Year(string id, int year) =>
        [.. BusinessCalendars.Default.Get(id).Holidays.Where(h => h.Date.Year == year).Select(h => h.Date)];

    private static DateOnly[] Dates(params string[] dates) => [.. dates.Select(d => DateOnly.ParseExact(d, "yyyy-MM-dd"))];

    private static bool IsBusinessDay(string id, string date) => BusinessCalendars.Default.Get(id).IsBusinessDay(DateOnly.ParseExact(date, "yyyy-MM-dd"));

    [Fact]
    public void Us_federal_2026_observes_independence_day_on_friday_3_july()
    {
        Assert.Equal(
            Dates("2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-06-19", "2026-07-03", "2026-09-07", "2026-10-12", "2026-11-11", "2026-11-26", "2026-12-25"),
            Year("us-federal", 2026));
        Assert.Equal("Independence Day (observed)", BusinessCalendars.Default.Get("us-federal").HolidayOn(new DateOnly(2026, 7, 3))!.Name);
    }

    [Fact]
    public void Us_federal_2027_moves_saturday_holidays_to_friday_and_sunday_ones_to_monday()
    {
        Assert.Equal(
            Dates("2027-01-01", "2027-01-18", "2027-02-15", "2027-05-31", "2027-06-18", "2027-07-05", "2027-09-06", "2027-10-11", "2027-11-11", "2027-11-25", "2027-12-24", "2027-12-31"),
            Year("us-federal", 2027));
        Assert.Equal(
            Dates("2028-01-17", "2028-02-21", "2028-05-29", "2028-06-19", "2028-07-04", "2028-09-04", "2028-10-09", "2028-11-10", "2028-11-23", "2028-12-25"),
            Year("us-federal", 2028));
        Assert.Equal("New Year's Day 2028 (observed)", BusinessCalendars.Default.Get("us-federal").HolidayOn(new DateOnly(2027, 12, 31))!.Name);
    }

    [Fact]
    public void New_york_adds_lincolns_birthday_and_election_day_to_the_federal_days()
    {
        Assert.Equal(
            Dates("2026-01-01", "2026-01-19", "2026-02-12", "2026-02-16", "2026-05-25", "2026-06-19", "2026-09-07", "2026-10-12", "2026-11-03", "2026-11-11", "2026-11-26", "2026-12-25"),
            Year("us-ny", 2026));

        // Independence Day 2026 is a Saturday: the federal government closes Friday 3 July, New York State does not.
        Assert.True(IsBusinessDay("us-ny", "2026-07-03"));
        Assert.False(IsBusinessDay("us-ny", "2025-11-04"));
        Assert.False(IsBusinessDay("us-ny", "2028-11-07"));
        Assert.True(IsBusinessDay("us-federal", "2026-11-03"));
        // Lincoln's Birthday 2028 is a Saturday, which New York does not move: Friday 11 February is a business day.
        Assert.True(IsBusinessDay("us-ny", "2028-02-11"));
        Assert.True(IsBusinessDay("us-ny", "2028-02-14"));
    }

    [Fact]
    public void California_2026_has_cesar_chavez_and_the_day_after_thanksgiving_and_does_not_move_saturday_holidays()
    {
        Assert.Equal(
            Dates("2026-01-01", "2026-01-19", "2026-02-16", "2026-03-31", "2026-05-25", "2026-09-07", "2026-11-11", "2026-11-26", "2026-11-27", "2026-12-25"),
            Year("us-ca", 2026));
        Assert.True(IsBusinessDay("us-ca", "2026-07-03"));
        Assert.True(IsBusinessDay("us-ca", "2026-10-12"));
        Assert.True(IsBusinessDay("us-ca", "2026-06-19"));
        // Sunday 4 July 2027 is observed on the Monday; Veterans Day on Saturday 11 November 2028 on the Friday before.
        Assert.False(IsBusinessDay("us-ca", "2027-07-05"));
        Assert.False(IsBusinessDay("us-ca", "2028-11-10"));
        Assert.True(IsBusinessDay("us-ca", "2027-12-24"));
    }

    [Fact]
    public void Canada_federal_2026_has_truth_and_reconciliation_and_boxing_day_observed_on_monday_28_december()
    {
        Assert.Equal(
            Dates("2026-01-01", "2026-04-03", "2026-05-18", "2026-07-01", "2026-09-07", "2026-09-30", "2026-10-12", "2026-11-11", "2026-12-25", "2026-12-28"),
            Year("ca-federal", 2026));
        // Easter Monday is a federal public-service holiday but not a general holiday under the Canada Labour Code.
        Assert.True(IsBusinessDay("ca-federal", "2026-04-06"));
        Assert.Equal("Boxing Day (observed)", BusinessCalendars.Default.Get("ca-federal").HolidayOn(new DateOnly(2026, 12, 28))!.Name);
    }

    [Fact]
    public void Canada_moves_weekend_holidays_to_the_next_free_weekday()
    {
        // Christmas 2027 is a Saturday and Boxing Day a Sunday: Monday and Tuesday. New Year's Day 2028 is a Saturday: Monday 3 January.
        Assert.False(IsBusinessDay("ca-federal", "2027-12-27"));
        Assert.False(IsBusinessDay("ca-federal", "2027-12-28"));
        Assert.False(IsBusinessDay("ca-federal", "2028-01-03"));
        Assert.True(IsBusinessDay("ca-federal", "2027-12-31"));
        // 2028: Canada Day, Truth and Reconciliation and Remembrance Day are Saturdays.
        Assert.False(IsBusinessDay("ca-federal", "2028-07-03"));
        Assert.False(IsBusinessDay("ca-federal", "2028-10-02"));
        Assert.False(IsBusinessDay("ca-federal", "2028-11-13"));
        // Where Boxing Day is not a holiday, Christmas 2027 alone takes the Monday.
        Assert.False(IsBusinessDay("ca-bc", "2027-12-27"));
        Assert.True(IsBusinessDay("ca-bc", "2027-12-28"));
    }

    [Fact]
    public void Ontario_2026_has_family_day_and_boxing_day_but_not_remembrance_or_truth_and_reconciliation()
    {
        Assert.Equal(
            Dates("2026-01-01", "2026-02-16", "2026-04-03", "2026-05-18", "2026-07-01", "2026-09-07", "2026-10-12", "2026-12-25", "2026-12-28"),
            Year("ca-on", 2026));
        Assert.True(IsBusinessDay("ca-on", "2026-08-03"));
    }

    [Fact]
    public void Quebec_2026_has_the_fete_nationale_and_patriots_day()
    {
        Assert.Equal(
            Dates("2026-01-01", "2026-04-03", "2026-05-18", "2026-06-24", "2026-07-01", "2026-09-07", "2026-10-12", "2026-12-25"),
            Year("ca-qc", 2026));
        Assert.False(IsBusinessDay("ca-qc", "2028-06-26"));
    }

    [Fact]
    public void British_columbia_and_alberta_2026()
    {
        Assert.Equal(
            Dates("2026-01-01", "2026-02-16", "2026-04-03", "2026-05-18", "2026-07-01", "2026-08-03", "2026-09-07", "2026-09-30", "2026-10-12", "2026-11-11", "2026-12-25"),
            Year("ca-bc", 2026));
        Assert.Equal(
            Dates("2026-01-01", "2026-02-16", "2026-04-03", "2026-05-18", "2026-07-01", "2026-09-07", "2026-10-12", "2026-11-11", "2026-12-25"),
            Year("ca-ab", 2026));
    }

    [Theory]
    [InlineData(2025, "2025-04-18", "2025-05-19", "2025-10-13")]
    [InlineData(2026, "2026-04-03", "2026-05-18", "2026-10-12")]
    [InlineData(2027, "2027-03-26", "2027-05-24", "2027-10-11")]
    [InlineData(2028, "2028-04-14", "2028-05-22", "2028-10-09")]
    public void Good_friday_victoria_day_and_thanksgiving_move_each_year(int year, string goodFriday, string victoriaDay, string thanksgiving)
    {
        var federal = BusinessCalendars.Default.Get("ca-federal");
        Assert.Equal("Good Friday", federal.HolidayOn(DateOnly.ParseExact(goodFriday, "yyyy-MM-dd"))!.Name);
        Assert.Equal("Victoria Day", federal.HolidayOn(DateOnly.ParseExact(victoriaDay, "yyyy-MM-dd"))!.Name);
        Assert.Equal("Thanksgiving Day", federal.HolidayOn(DateOnly.ParseExact(thanksgiving, "yyyy-MM-dd"))!.Name);
        Assert.Equal(year, DateOnly.ParseExact(goodFriday, "yyyy-MM-dd").Year);
    }

    [Theory]
    [InlineData(2025, "2025-11-27")]
    [InlineData(2026, "2026-11-26")]
    [InlineData(2027, "2027-11-25")]
    [InlineData(2028, "2028-11-23")]
    public void Us_thanksgiving_is_the_fourth_thursday_of_november_and_california_adds_the_friday(int year, string thanksgiving)
    {
        var day = DateOnly.ParseExact(thanksgiving, "yyyy-MM-dd");
        Assert.Equal(year, day.Year);
        Assert.Equal(DayOfWeek.Thursday, day.DayOfWeek);
        Assert.InRange(day.Day, 22, 28);
        Assert.False(BusinessCalendars.Default.Get("us-federal").IsBusinessDay(day));
        Assert.True(BusinessCalendars.Default.Get("us-federal").IsBusinessDay(day.AddDays(1)));
        Assert.False(BusinessCalendars.Default.Get("us-ca").IsBusinessDay(day.AddDays(1)));
    }
}
