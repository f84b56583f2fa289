using System.Collections.Frozen;

namespace OneValet.Pipeline.Calendars;

/// <summary>A public holiday on the date it is observed (a weekday), and the calendar file that lists it.</summary>
public sealed record Holiday(DateOnly Date, string Name, string CalendarId);

/// <summary>
/// The business days of one jurisdiction: weekdays that are not public holidays there. The holidays are data
/// (Calendars/*.json, embedded), resolved with the calendars they include, for the years the files list; every other year
/// is computed from the calendar's rules (<see cref="HolidayRules"/>, D1: no year runs out), which reproduce the files
/// exactly for their years. A calendar without rules knows only the years its data covers: any question about another
/// year throws instead of assuming the year has no holidays.
/// </summary>
public sealed class BusinessCalendar
{
    private readonly FrozenDictionary<DateOnly, Holiday> _byDate;
    private readonly HolidayRules? _rules;

    internal BusinessCalendar(string id, string name, string source, int firstYear, int lastYear, IReadOnlyList<string> includes, IEnumerable<Holiday> holidays, HolidayRules? rules = null)
    {
        _rules = rules is not null && rules.Has(id) ? rules : null;
        Id = id;
        Name = name;
        Source = source;
        FirstYear = firstYear;
        LastYear = lastYear;
        Includes = includes;
        // A date listed by the calendar itself and by an included one keeps the first listing (the calendar's own).
        _byDate = holidays.GroupBy(h => h.Date).ToFrozenDictionary(g => g.Key, g => g.First());
        Holidays = [.. _byDate.Values.Where(h => Covers(h.Date)).OrderBy(h => h.Date)];
    }

    /// <summary>The calendar's id, e.g. <c>us-ny</c>; also the name of its data file.</summary>
    public string Id { get; }

    public string Name { get; }

    /// <summary>The official source the holidays were taken from (and, for includes, only this file's own).</summary>
    public string Source { get; }

    /// <summary>The first year whose holidays the data holds, for this calendar and every calendar it includes.</summary>
    public int FirstYear { get; }

    /// <summary>The last year whose holidays the data holds, for this calendar and every calendar it includes.</summary>
    public int LastYear { get; }

    /// <summary>The ids this calendar includes directly (their holidays are part of <see cref="Holidays"/>).</summary>
    public IReadOnlyList<string> Includes { get; }

    /// <summary>Every holiday in the covered years, includes resolved, in date order.</summary>
    public IReadOnlyList<Holiday> Holidays { get; }

    /// <summary>Loads a calendar from the embedded data, with its includes resolved.</summary>
    public static BusinessCalendar Load(string id) => BusinessCalendars.Default.Get(id);

    /// <summary>Whether the calendar's rules compute the years its data does not list.</summary>
    public bool HasRules => _rules is not null;

    /// <summary>Whether the data lists <paramref name="day"/>'s year, or rules compute it, so that the other members may be
    /// asked about it.</summary>
    public bool Covers(DateOnly day) => _rules is not null || Listed(day);

    private bool Listed(DateOnly day) => day.Year >= FirstYear && day.Year <= LastYear;

    /// <summary>The holiday observed on <paramref name="day"/>, or null.</summary>
    /// <exception cref="InvalidOperationException">The data does not cover <paramref name="day"/>'s year.</exception>
    public Holiday? HolidayOn(DateOnly day)
    {
        EnsureCovered(day);
        return Listed(day) ? _byDate.GetValueOrDefault(day) : _rules!.In(Id, day.Year).GetValueOrDefault(day);
    }

    /// <summary>A weekday that is not an observed holiday.</summary>
    /// <exception cref="InvalidOperationException">The data does not cover <paramref name="day"/>'s year.</exception>
    public bool IsBusinessDay(DateOnly day)
    {
        EnsureCovered(day);
        return day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday)
            && !(Listed(day) ? _byDate.ContainsKey(day) : _rules!.In(Id, day.Year).ContainsKey(day));
    }

    /// <summary>
    /// The business day that is <paramref name="days"/> business days after <paramref name="start"/>: day 0 is the start
    /// itself (whatever it is), and counting starts on the day after it, skipping weekends and holidays. So "within 10
    /// business days of receipt on Friday 18 December 2026" (US federal) ends on Tuesday 5 January 2027.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="days"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The count reaches a year the data does not cover.</exception>
    public DateOnly AddBusinessDays(DateOnly start, int days)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(days);
        EnsureCovered(start);
        var day = start;
        for (var counted = 0; counted < days;)
        {
            day = day.AddDays(1);
            if (IsBusinessDay(day))
            {
                counted++;
            }
        }

        return day;
    }

    /// <summary>
    /// A deadline of <paramref name="days"/> business days from the instant <paramref name="start"/>, counted on the
    /// person's own calendar: the start is read as a date in <paramref name="zone"/>, the business days are counted from
    /// that date (<see cref="AddBusinessDays(DateOnly, int)"/>), and the deadline is the END of the resulting business day
    /// in that zone (23:59:59.9999999 local), returned in UTC. The whole last day is allowed because the rules speak of
    /// days, not hours; the person's zone decides which day an instant falls on, and so which day is a holiday.
    /// </summary>
    /// <remarks>
    /// Where a clock change touches the end of the day: if the last minutes of the day do not exist (a forward jump
    /// across midnight), the deadline is the last minute that exists; if they occur twice (a backward jump at midnight),
    /// the deadline is their first occurrence, so it is met under either reading.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="days"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The count reaches a year the data does not cover.</exception>
    public DateTimeOffset AddBusinessDays(DateTimeOffset start, int days, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var localStart = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(start, zone).DateTime);
        return EndOfDay(AddBusinessDays(localStart, days), zone);
    }

    /// <summary>The last instant of <paramref name="day"/> on the wall clock of <paramref name="zone"/>, in UTC.</summary>
    internal static DateTimeOffset EndOfDay(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MaxValue, DateTimeKind.Unspecified);
        // Skipped by a forward jump: step back to the last minute of the day that exists.
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(-1);
        }

        // Repeated by a backward jump: the larger offset gives the earlier of the two instants.
        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }

    private void EnsureCovered(DateOnly day)
    {
        if (!Covers(day))
        {
            throw new InvalidOperationException(
                $"The '{Id}' holiday calendar covers {FirstYear} to {LastYear}; {day:yyyy-MM-dd} is outside it. " +
                $"Add that year's holidays to Calendars/{Id}.json (and to the calendars it includes) before counting business days in it.");
        }
    }
}
