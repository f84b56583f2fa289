using OneValet.Pipeline.Retention;
using Xunit;

namespace OneValet.Tests.Retention;

/// <summary>Deadline arithmetic at the edges, as pure code (O2, O4, O5): leap days, DST, a building's zone vs UTC.</summary>
public sealed class DeadlineArithmeticTests
{
    private static readonly RetentionRule Ninety = new("tdpa-authentication-90d", "O4", TimeSpan.FromDays(90), RetentionAction.Delete);
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private static readonly TimeZoneInfo LosAngeles = TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles");

    [Fact]
    public void Ninety_days_across_a_leap_day_count_the_29th_of_february()
    {
        var captured = new DateTimeOffset(2028, 1, 15, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2028, 4, 14, 12, 0, 0, TimeSpan.Zero), Ninety.DeadlineFrom(captured));
        Assert.Equal(new DateTimeOffset(2027, 4, 15, 12, 0, 0, TimeSpan.Zero), Ninety.DeadlineFrom(captured.AddYears(-1)));
    }

    [Fact]
    public void A_capture_on_the_leap_day_itself_has_a_deadline_ninety_days_on()
    {
        var captured = new DateTimeOffset(2028, 2, 29, 23, 59, 59, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2028, 5, 29, 23, 59, 59, TimeSpan.Zero), Ninety.DeadlineFrom(captured));

        // In New York the clocks spring forward on 12 March 2028: 18:59:59 EST + 90 days is 18:59:59 EDT, an hour earlier.
        Assert.Equal(new DateTimeOffset(2028, 5, 29, 22, 59, 59, TimeSpan.Zero), Ninety.DeadlineFrom(captured, NewYork));
    }

    [Fact]
    public void When_clocks_spring_forward_in_between_the_wall_clock_reading_is_earlier_and_wins()
    {
        // 2026-12-20 12:00 EST (17:00Z); 90 calendar days later is 2027-03-20 12:00 EDT (16:00Z), an hour before 90 x 24 h.
        var captured = new DateTimeOffset(2026, 12, 20, 12, 0, 0, TimeSpan.FromHours(-5));
        var deadline = Ninety.DeadlineFrom(captured, NewYork);
        Assert.Equal(new DateTimeOffset(2027, 3, 20, 16, 0, 0, TimeSpan.Zero), deadline.ToUniversalTime());
        Assert.True(deadline < Ninety.DeadlineFrom(captured));
    }

    [Fact]
    public void When_clocks_fall_back_in_between_elapsed_time_is_earlier_and_wins()
    {
        // 2026-09-01 12:00 EDT (16:00Z); 90 calendar days later is 2026-11-30 12:00 EST (17:00Z), an hour after 90 x 24 h.
        var captured = new DateTimeOffset(2026, 9, 1, 12, 0, 0, TimeSpan.FromHours(-4));
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 16, 0, 0, TimeSpan.Zero), Ninety.DeadlineFrom(captured, NewYork).ToUniversalTime());
    }

    [Fact]
    public void A_deadline_landing_in_the_skipped_spring_forward_hour_is_taken_just_after_the_gap_and_never_late()
    {
        // 90 days before 2027-03-14 02:30 local (a time that does not exist in New York).
        var captured = new DateTimeOffset(2026, 12, 14, 2, 30, 0, TimeSpan.FromHours(-5));
        var deadline = Ninety.DeadlineFrom(captured, NewYork);
        Assert.True(deadline <= Ninety.DeadlineFrom(captured));
        Assert.False(NewYork.IsInvalidTime(TimeZoneInfo.ConvertTime(deadline, NewYork).DateTime));
    }

    [Fact]
    public void A_deadline_landing_in_the_repeated_fall_back_hour_takes_the_first_of_the_two()
    {
        // 2027-11-07 01:30 happens twice in Los Angeles; capture 90 days before at 01:30 PDT.
        var captured = new DateTimeOffset(2027, 8, 9, 1, 30, 0, TimeSpan.FromHours(-7));
        var deadline = Ninety.DeadlineFrom(captured, LosAngeles);
        Assert.Equal(new DateTimeOffset(2027, 11, 7, 8, 30, 0, TimeSpan.Zero), deadline.ToUniversalTime());
    }

    [Fact]
    public void The_zone_matters_at_the_building_not_in_utc_midnight()
    {
        // 23:30 in New York on 31 December is already 1 January in UTC; the count is the same instant either way.
        var captured = new DateTimeOffset(2026, 12, 31, 23, 30, 0, TimeSpan.FromHours(-5));
        Assert.Equal(new DateTimeOffset(2027, 3, 31, 23, 30, 0, TimeSpan.FromHours(-4)).ToUniversalTime(), Ninety.DeadlineFrom(captured, NewYork).ToUniversalTime());
        Assert.Equal(new DateTimeOffset(2027, 4, 1, 4, 30, 0, TimeSpan.Zero), Ninety.DeadlineFrom(captured));
    }

    [Fact]
    public void Periods_that_are_not_whole_days_are_elapsed_time_only()
    {
        var rule = new RetentionRule("test", "O2", TimeSpan.FromSeconds(90), RetentionAction.Delete);
        var captured = new DateTimeOffset(2027, 3, 14, 6, 59, 0, TimeSpan.Zero);
        Assert.Equal(captured.AddSeconds(90), rule.DeadlineFrom(captured, NewYork));
    }
}
