using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OneValet.Pipeline.Calendars;

/// <summary>How a holiday that falls on a Saturday or Sunday is observed.</summary>
public enum Observance
{
    /// <summary>Not moved: a weekend holiday gives no weekday off.</summary>
    None,

    /// <summary>The next weekday that is not itself a holiday (Canada: Christmas on a Saturday is Monday, Boxing Day on the
    /// Sunday after is Tuesday).</summary>
    NextFreeWeekday,

    /// <summary>Saturday to the Friday before, Sunday to the Monday after (US federal, 5 U.S.C. 6103(b)).</summary>
    NearestWeekday,

    /// <summary>Sunday to the Monday after; a Saturday holiday is not moved (New York, California).</summary>
    SundayToMonday,
}

/// <summary>
/// The holidays of each calendar as rules (Calendars/Rules/holiday-rules.json, embedded), so that no year runs out (D1): a
/// fixed month-day, the nth (or last) weekday of a month, the last weekday before a month-day, days from Western Easter,
/// each with an optional offset and first year; then the weekend ones moved as the calendar (or the rule) observes them.
/// The calendar files are the oracle: the rules reproduce every holiday of every file, names included, for the years it
/// lists (CalendarRulesTests).
/// </summary>
public sealed class HolidayRules
{
    private static readonly JsonSerializerOptions FileOptions = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
    };

    private readonly Dictionary<string, CalendarRules> _calendars;
    private readonly ConcurrentDictionary<(string Id, int Year), IReadOnlyDictionary<DateOnly, Holiday>> _years = new();

    /// <exception cref="InvalidDataException">The rules file is malformed or a rule is incomplete.</exception>
    internal HolidayRules(string json)
    {
        RulesFile file;
        try
        {
            file = JsonSerializer.Deserialize<RulesFile>(json, FileOptions) ?? throw new InvalidDataException("The holiday rules file is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The holiday rules file is malformed: {e.Message}", e);
        }

        foreach (var (id, calendar) in file.Calendars)
        {
            foreach (var rule in calendar.Holidays)
            {
                var kinds = (rule.Date is null ? 0 : 1) + (rule.Easter is null ? 0 : 1) + (rule.Nth is null ? 0 : 1) + (rule.Before is null ? 0 : 1);
                if (string.IsNullOrWhiteSpace(rule.Name) || kinds != 1 || ((rule.Nth is not null || rule.Before is not null) && (rule.Month is null || rule.Weekday is null))
                    || rule.Nth is 0 or > 5 or < -1 || rule.Month is < 1 or > 12)
                {
                    throw new InvalidDataException($"Holiday rule '{rule.Name}' of {id}: one of date, easter, nth (with month and weekday, 1 to 5 or -1) or before (with month and weekday).");
                }

                // Parsed once here so that a bad month-day fails at load, not at the first count in that year.
                _ = rule.Date is { } date ? MonthDay(date, 2000) : default;
                _ = rule.Before is { } before ? MonthDay(before, 2000) : default;
            }
        }

        _calendars = file.Calendars;
    }

    /// <summary>The calendar ids that have rules.</summary>
    public IEnumerable<string> Ids => _calendars.Keys;

    public bool Has(string calendarId) => _calendars.ContainsKey(calendarId);

    /// <summary>The holidays of <paramref name="calendarId"/> observed in <paramref name="year"/> (a weekday each), by date.</summary>
    public IReadOnlyDictionary<DateOnly, Holiday> In(string calendarId, int year) =>
        _years.GetOrAdd((calendarId, year), key => Compute(key.Id, key.Year));

    /// <summary>Western (Gregorian) Easter Sunday: the anonymous Gregorian algorithm (Meeus/Jones/Butcher).</summary>
    public static DateOnly EasterSunday(int year)
    {
        int a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3;
        int h = ((19 * a) + b - d - g + 15) % 30, i = c / 4, k = c % 4, l = (32 + (2 * e) + (2 * i) - h - k) % 7, m = (a + (11 * h) + (22 * l)) / 451;
        var month = (h + l - (7 * m) + 114) / 31;
        var day = ((h + l - (7 * m) + 114) % 31) + 1;
        return new DateOnly(year, month, day);
    }

    private Dictionary<DateOnly, Holiday> Compute(string id, int year)
    {
        var calendar = _calendars[id];
        var result = new Dictionary<DateOnly, Holiday>();
        // A holiday of the year before or after may be observed in this one (1 January on a Saturday: 31 December).
        for (var y = Math.Max(1, year - 1); y <= Math.Min(9998, year + 1); y++)
        {
            foreach (var (date, name) in Observed(calendar, y))
            {
                if (date.Year == year)
                {
                    result.TryAdd(date, new Holiday(date, name, id));
                }
            }
        }

        return result;
    }

    private static IEnumerable<(DateOnly Date, string Name)> Observed(CalendarRules calendar, int year)
    {
        var actual = calendar.Holidays
            .Where(r => r.Since is null || year >= r.Since)
            .Select(r => (Date: Actual(r, year), Rule: r))
            .OrderBy(a => a.Date)
            .ToList();
        var taken = actual.Where(a => !IsWeekend(a.Date)).Select(a => a.Date).ToHashSet();
        foreach (var (date, rule) in actual)
        {
            if (!IsWeekend(date))
            {
                yield return (date, rule.Name);
                continue;
            }

            DateOnly? observed = (rule.Observe ?? calendar.Observe) switch
            {
                Observance.NextFreeWeekday => NextFree(date, taken),
                Observance.NearestWeekday => date.DayOfWeek == DayOfWeek.Saturday ? date.AddDays(-1) : date.AddDays(1),
                Observance.SundayToMonday when date.DayOfWeek == DayOfWeek.Sunday => date.AddDays(1),
                _ => null,
            };
            if (observed is { } day)
            {
                taken.Add(day);
                yield return (day, rule.Name + (day.Year != date.Year ? string.Create(CultureInfo.InvariantCulture, $" {date.Year}") : string.Empty) + " (observed)");
            }
        }
    }

    private static DateOnly NextFree(DateOnly date, HashSet<DateOnly> taken)
    {
        var day = date.AddDays(1);
        while (IsWeekend(day) || taken.Contains(day))
        {
            day = day.AddDays(1);
        }

        return day;
    }

    private static DateOnly Actual(HolidayRule rule, int year)
    {
        DateOnly day;
        if (rule.Date is { } date)
        {
            day = MonthDay(date, year);
        }
        else if (rule.Easter is { } fromEaster)
        {
            day = EasterSunday(year).AddDays(fromEaster);
        }
        else if (rule.Before is { } before)
        {
            day = MonthDay(before, year).AddDays(-1);
            while (day.DayOfWeek != rule.Weekday)
            {
                day = day.AddDays(-1);
            }
        }
        else if (rule.Nth > 0)
        {
            day = new DateOnly(year, rule.Month!.Value, 1);
            while (day.DayOfWeek != rule.Weekday)
            {
                day = day.AddDays(1);
            }

            day = day.AddDays(7 * (rule.Nth.Value - 1));
        }
        else
        {
            day = new DateOnly(year, rule.Month!.Value, DateTime.DaysInMonth(year, rule.Month.Value));
            while (day.DayOfWeek != rule.Weekday)
            {
                day = day.AddDays(-1);
            }
        }

        return day.AddDays(rule.Offset ?? 0);
    }

    private static DateOnly MonthDay(string monthDay, int year) =>
        DateOnly.TryParseExact(string.Create(CultureInfo.InvariantCulture, $"{year:D4}-{monthDay}"), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw new InvalidDataException($"'{monthDay}' is not a month-day (MM-DD).");

    private static bool IsWeekend(DateOnly day) => day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;

    private sealed record RulesFile(Dictionary<string, CalendarRules> Calendars, string? Notes = null);

    private sealed record CalendarRules(Observance Observe, IReadOnlyList<HolidayRule> Holidays);

    private sealed record HolidayRule(
        string Name,
        string? Date = null,
        int? Easter = null,
        int? Month = null,
        DayOfWeek? Weekday = null,
        int? Nth = null,
        string? Before = null,
        int? Offset = null,
        int? Since = null,
        Observance? Observe = null);
}
