using OneValet.Pipeline.Calendars;
using Xunit;

namespace OneValet.Tests.Calendars;

/// <summary>Counting business days: holiday weeks, year ends, the person's zone and DST, and the edges of the data.</summary>
public sealed class BusinessDayArithmeticTests
{
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private static readonly TimeZoneInfo LosAngeles = TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles");
    private static readonly TimeZoneInfo Toronto = TimeZoneInfo.FindSystemTimeZoneById("America/Toronto");

    private static BusinessCalendar Calendar(string id) => BusinessCalendars.Default.Get(id);

    [Fact]
    public void Ten_business_days_from_friday_18_december_2026_skip_christmas_and_new_years_day()
    {
        // 21 22 23 24 | 25 Christmas | 28 29 30 31 | 1 Jan New Year's Day | 4 5.
        Assert.Equal(new DateOnly(2027, 1, 5), Calendar("us-federal").AddBusinessDays(new DateOnly(2026, 12, 18), 10));
        Assert.Equal(new DateOnly(2027, 1, 5), Calendar("us-ca").AddBusinessDays(new DateOnly(2026, 12, 18), 10));
        // Ontario also skips Boxing Day, observed on Monday 28 December.
        Assert.Equal(new DateOnly(2027, 1, 6), Calendar("ca-on").AddBusinessDays(new DateOnly(2026, 12, 18), 10));
    }

    [Fact]
    public void Ten_business_days_over_the_2027_year_end_where_the_weekend_holidays_move_differently()
    {
        // US federal: Christmas on Friday 24 December, New Year's Day 2028 on Friday 31 December.
        Assert.Equal(new DateOnly(2028, 1, 4), Calendar("us-federal").AddBusinessDays(new DateOnly(2027, 12, 17), 10));
        // California moves neither Saturday: no holiday at all from 18 December to 16 January.
        Assert.Equal(new DateOnly(2027, 12, 31), Calendar("us-ca").AddBusinessDays(new DateOnly(2027, 12, 17), 10));
        // Ontario: Christmas Monday 27, Boxing Day Tuesday 28, New Year's Day Monday 3 January.
        Assert.Equal(new DateOnly(2028, 1, 5), Calendar("ca-on").AddBusinessDays(new DateOnly(2027, 12, 17), 10));
    }

    [Fact]
    public void A_thanksgiving_week_costs_one_day_federally_and_two_in_california()
    {
        var friday = new DateOnly(2026, 11, 20);
        // 23 24 25 | 26 Thanksgiving | 27 30 federally; California also skips the 27th.
        Assert.Equal(new DateOnly(2026, 11, 30), Calendar("us-federal").AddBusinessDays(friday, 5));
        Assert.Equal(new DateOnly(2026, 12, 1), Calendar("us-ca").AddBusinessDays(friday, 5));
        Assert.Equal(new DateOnly(2026, 11, 27), Calendar("ca-on").AddBusinessDays(friday, 5));
        // Canadian Thanksgiving, Monday 12 October 2026.
        Assert.Equal(new DateOnly(2026, 10, 16), Calendar("ca-federal").AddBusinessDays(new DateOnly(2026, 10, 9), 4));
    }

    [Fact]
    public void Day_zero_is_the_start_and_counting_starts_the_next_day()
    {
        var christmas = new DateOnly(2026, 12, 25);
        Assert.Equal(christmas, Calendar("us-federal").AddBusinessDays(christmas, 0));
        Assert.Equal(new DateOnly(2026, 12, 28), Calendar("us-federal").AddBusinessDays(christmas, 1));
        // From a Saturday, the first business day is the Monday.
        Assert.Equal(new DateOnly(2026, 3, 9), Calendar("us-federal").AddBusinessDays(new DateOnly(2026, 3, 7), 1));
        Assert.Equal(new DateOnly(2026, 3, 10), Calendar("us-federal").AddBusinessDays(new DateOnly(2026, 3, 9), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Calendar("us-federal").AddBusinessDays(christmas, -1));
    }

    [Fact]
    public void Weekends_are_never_business_days()
    {
        var calendar = Calendar("ca-federal");
        Assert.False(calendar.IsBusinessDay(new DateOnly(2026, 3, 7)));
        Assert.False(calendar.IsBusinessDay(new DateOnly(2026, 3, 8)));
        Assert.True(calendar.IsBusinessDay(new DateOnly(2026, 3, 9)));
        Assert.Null(calendar.HolidayOn(new DateOnly(2026, 3, 9)));
    }

    [Fact]
    public void A_year_outside_the_data_is_computed_from_the_rules_not_assumed_free_of_holidays()
    {
        // D1 (issue 15.1): the files list 2025-2028; other years come from the rules, holidays included.
        var calendar = Calendar("us-ny");
        Assert.True(calendar.HasRules);
        Assert.True(calendar.Covers(new DateOnly(2024, 12, 31)));
        Assert.True(calendar.Covers(new DateOnly(2029, 1, 1)));
        Assert.Equal("Independence Day", calendar.HolidayOn(new DateOnly(2029, 7, 4))?.Name); // a Wednesday
        Assert.False(calendar.IsBusinessDay(new DateOnly(2029, 11, 6))); // Election Day 2029: the Tuesday after Monday 5 November
        Assert.True(calendar.IsBusinessDay(new DateOnly(2029, 1, 2)));
    }

    [Fact]
    public void A_count_that_runs_past_the_data_goes_on_with_the_rules()
    {
        var calendar = Calendar("us-federal");
        Assert.Equal(new DateOnly(2028, 12, 29), calendar.AddBusinessDays(new DateOnly(2028, 12, 22), 4));
        // Fri 29 Dec (4), Mon 1 Jan 2029 is New Year's Day, Tue 2 Jan (5).
        Assert.Equal(new DateOnly(2029, 1, 2), calendar.AddBusinessDays(new DateOnly(2028, 12, 22), 5));
    }

    [Fact]
    public void The_deadline_is_the_end_of_the_last_business_day_in_the_persons_zone_across_spring_forward()
    {
        // Friday 6 March 2026 15:00 EST; clocks spring forward on Sunday 8 March. Five business days end Friday 13 March, EDT.
        var start = new DateTimeOffset(2026, 3, 6, 15, 0, 0, TimeSpan.FromHours(-5));
        var deadline = Calendar("us-ny").AddBusinessDays(start, 5, NewYork);

        Assert.Equal(TimeSpan.Zero, deadline.Offset);
        Assert.Equal(new DateTimeOffset(2026, 3, 14, 3, 59, 59, TimeSpan.Zero).AddTicks(9_999_999), deadline);
        Assert.Equal(new DateTime(2026, 3, 13, 23, 59, 59).AddTicks(9_999_999), TimeZoneInfo.ConvertTime(deadline, NewYork).DateTime);
    }

    [Fact]
    public void The_deadline_is_the_end_of_the_last_business_day_in_the_persons_zone_across_fall_back()
    {
        // Friday 30 October 2026 in Los Angeles; clocks fall back on Sunday 1 November. Two business days end Tuesday 3 November, PST.
        var start = new DateTimeOffset(2026, 10, 30, 9, 30, 0, TimeSpan.FromHours(-7));
        var deadline = Calendar("us-ca").AddBusinessDays(start, 2, LosAngeles);

        Assert.Equal(new DateTimeOffset(2026, 11, 4, 7, 59, 59, TimeSpan.Zero).AddTicks(9_999_999), deadline);
    }

    [Fact]
    public void The_start_day_is_the_persons_local_date_not_the_utc_date()
    {
        // 03:00 UTC on 24 December 2026 is still 23 December, 22:00, in New York: one business day later is the 24th.
        var start = new DateTimeOffset(2026, 12, 24, 3, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 12, 25, 4, 59, 59, TimeSpan.Zero).AddTicks(9_999_999), Calendar("us-federal").AddBusinessDays(start, 1, NewYork));
        // Read in UTC it would start on the 24th and, Christmas being a holiday, end on Monday 28 December.
        Assert.Equal(new DateTimeOffset(2026, 12, 28, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_999), Calendar("us-federal").AddBusinessDays(start, 1, TimeZoneInfo.Utc));
    }

    [Fact]
    public void When_the_end_of_the_day_is_repeated_by_a_backward_jump_at_midnight_the_first_occurrence_is_the_deadline()
    {
        // A zone (like Chile's) whose clocks go back from 00:00 to 23:00: 23:00-23:59 on Saturday 4 April 2026 happens twice.
        var zone = TimeZoneInfo.CreateCustomTimeZone("Test/BackAtMidnight", TimeSpan.FromHours(-4), "test", "test", "test",
        [
            TimeZoneInfo.AdjustmentRule.CreateAdjustmentRule(
                new DateTime(2026, 1, 1), new DateTime(2026, 12, 31), TimeSpan.FromHours(1),
                TimeZoneInfo.TransitionTime.CreateFixedDateRule(new DateTime(1, 1, 1, 0, 0, 0), 9, 6),
                TimeZoneInfo.TransitionTime.CreateFixedDateRule(new DateTime(1, 1, 1, 0, 0, 0), 4, 5)),
        ]);
        var lastMinute = new DateTime(2026, 4, 4, 23, 59, 59).AddTicks(9_999_999);
        Assert.True(zone.IsAmbiguousTime(lastMinute));

        // At UTC-3 (summer time, the earlier instant) rather than UTC-4.
        Assert.Equal(new DateTimeOffset(2026, 4, 5, 2, 59, 59, TimeSpan.Zero).AddTicks(9_999_999), BusinessCalendar.EndOfDay(new DateOnly(2026, 4, 4), zone));
    }

    [Fact]
    public void When_the_end_of_the_day_is_skipped_by_a_forward_jump_the_last_minute_that_exists_is_the_deadline()
    {
        // Clocks jump from 23:30 to 00:30 on 7 March 2026: the day ends at 23:29:59.9999999 standard time (UTC-5).
        var zone = TimeZoneInfo.CreateCustomTimeZone("Test/ForwardBeforeMidnight", TimeSpan.FromHours(-5), "test", "test", "test",
        [
            TimeZoneInfo.AdjustmentRule.CreateAdjustmentRule(
                new DateTime(2026, 1, 1), new DateTime(2026, 12, 31), TimeSpan.FromHours(1),
                TimeZoneInfo.TransitionTime.CreateFixedDateRule(new DateTime(1, 1, 1, 23, 30, 0), 3, 7),
                TimeZoneInfo.TransitionTime.CreateFixedDateRule(new DateTime(1, 1, 1, 1, 0, 0), 11, 1)),
        ]);
        Assert.True(zone.IsInvalidTime(new DateTime(2026, 3, 7, 23, 59, 59)));

        Assert.Equal(new DateTimeOffset(2026, 3, 8, 4, 29, 59, TimeSpan.Zero).AddTicks(9_999_999), BusinessCalendar.EndOfDay(new DateOnly(2026, 3, 7), zone));
    }

    [Fact]
    public void A_campaign_over_several_jurisdictions_meets_the_earliest_deadline()
    {
        // Friday 20 November 2026, noon in New York, 10 business days:
        // us-ny ends Monday 7 December (Thanksgiving), us-ca Tuesday 8 December (and the Friday after), ca-on Friday 4 December.
        var start = new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.FromHours(-5));
        var calendars = BusinessCalendars.Default;

        Assert.Equal(new DateTimeOffset(2026, 12, 8, 4, 59, 59, TimeSpan.Zero).AddTicks(9_999_999), Calendar("us-ny").AddBusinessDays(start, 10, NewYork));
        Assert.Equal(new DateTimeOffset(2026, 12, 9, 4, 59, 59, TimeSpan.Zero).AddTicks(9_999_999), Calendar("us-ca").AddBusinessDays(start, 10, NewYork));
        var earliest = calendars.EarliestDeadline(start, 10, ["us-ca", "us-ny", "ca-on"], NewYork);
        Assert.Equal(new DateTimeOffset(2026, 12, 5, 4, 59, 59, TimeSpan.Zero).AddTicks(9_999_999), earliest);
        Assert.Equal(earliest, calendars.EarliestDeadline(start, 10, ["ca-on", "ca-on"], Toronto));

        Assert.Throws<ArgumentException>(() => calendars.EarliestDeadline(start, 10, [], NewYork));
        Assert.Throws<ArgumentException>(() => calendars.EarliestDeadline(start, 10, ["us-ca", "us-tx"], NewYork));
    }

    /// <summary>
    /// O14, D1: a breach notice is due 10 business days from discovery where the affected people live. Discovered on Sunday
    /// 18 October 2026 at 20:00 in Los Angeles (Monday 03:00 UTC; no holiday in any calendar from 12 October to 11
    /// November): a Californian's tenth business day is Friday 30 October, New York's and Toronto's too, and New York's
    /// ends first (04:00 UTC on the 31st). Counted in UTC only, as the incident's deadline was before, Monday was day 0 and
    /// the deadline Monday 2 November at midnight UTC: almost three days late for every one of them.
    /// </summary>
    [Fact]
    public void A_breach_found_on_a_north_american_evening_is_due_by_the_tenth_business_day_where_its_people_live()
    {
        var calendars = BusinessCalendars.Default;
        var discovered = new DateTimeOffset(2026, 10, 18, 20, 0, 0, TimeSpan.FromHours(-7));
        var deadline = calendars.EarliestDeadlineWhereTheyLive(discovered, 10, calendars.Ids);

        Assert.Equal(new DateTimeOffset(2026, 10, 31, 3, 59, 59, TimeSpan.Zero).AddTicks(9_999_999), deadline);
        Assert.Equal(new DateTimeOffset(2026, 10, 31, 6, 59, 59, TimeSpan.Zero).AddTicks(9_999_999), Calendar("us-ca").AddBusinessDays(discovered, 10, LosAngeles));
        Assert.Equal(new DateTimeOffset(2026, 11, 2, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_999), calendars.EarliestDeadline(discovered, 10, calendars.Ids, TimeZoneInfo.Utc));

        // Whatever the hour of discovery, no calendar's own reading, nor the UTC count, ends before it.
        for (var hour = 0; hour < 24; hour++)
        {
            var at = new DateTimeOffset(2026, 10, 18, hour, 30, 0, TimeSpan.Zero);
            var due = calendars.EarliestDeadlineWhereTheyLive(at, 10, calendars.Ids);
            Assert.All(calendars.Ids, id => Assert.True(due <= Calendar(id).AddBusinessDays(at, 10, calendars.ZoneFor(id)), id + " at " + hour));
            Assert.True(due <= calendars.EarliestDeadline(at, 10, calendars.Ids, TimeZoneInfo.Utc));
        }

        Assert.Throws<ArgumentException>(() => calendars.EarliestDeadlineWhereTheyLive(discovered, 10, []));
    }
}
