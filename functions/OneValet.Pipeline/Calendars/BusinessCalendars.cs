using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OneValet.Pipeline.Calendars;

/// <summary>
/// The holiday calendars kept as data (Calendars/*.json, embedded in this assembly), checked when loaded: ids match file
/// names, includes resolve without cycles, each file's dates are sorted, unique, on weekdays and inside its years.
/// Maps the pipeline's jurisdictions to calendars and computes deadlines that must hold in several at once.
/// </summary>
public sealed class BusinessCalendars
{
    private const string ResourcePrefix = "OneValet.Pipeline.Calendars.";
    private const string ResourceSuffix = ".json";
    private const string RulesResource = "holiday-rules.json"; // Calendars/Rules/holiday-rules.json, outside the calendar files' prefix

    private static readonly Lazy<BusinessCalendars> DefaultInstance = new(FromEmbeddedResources);

    private static readonly JsonSerializerOptions FileOptions = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    private readonly Dictionary<string, BusinessCalendar> _calendars;

    /// <summary>Builds the registry from calendar files: file name (without <c>.json</c>) to the file's JSON text.</summary>
    /// <exception cref="InvalidDataException">A file is malformed or inconsistent with the others.</exception>
    internal BusinessCalendars(IReadOnlyDictionary<string, string> jsonByFileName, HolidayRules? rules = null)
    {
        ArgumentNullException.ThrowIfNull(jsonByFileName);
        Rules = rules;
        var files = new Dictionary<string, CalendarFile>(StringComparer.Ordinal);
        foreach (var (fileName, json) in jsonByFileName)
        {
            var file = Parse(fileName, json);
            Validate(fileName, file);
            files.Add(file.Id, file);
        }

        _calendars = new Dictionary<string, BusinessCalendar>(StringComparer.Ordinal);
        foreach (var id in files.Keys)
        {
            Resolve(id, files, []);
        }

        Ids = [.. _calendars.Keys.Order(StringComparer.Ordinal)];
        if (rules?.Ids.FirstOrDefault(id => !_calendars.ContainsKey(id)) is { } stray)
        {
            throw new InvalidDataException($"Holiday rules name the calendar '{stray}', which has no file.");
        }
    }

    /// <summary>The holiday rules that compute the years the files do not list (null: the files only).</summary>
    public HolidayRules? Rules { get; }

    /// <summary>The calendars embedded in this assembly, loaded once.</summary>
    public static BusinessCalendars Default => DefaultInstance.Value;

    /// <summary>Every calendar id, in ordinal order.</summary>
    public IReadOnlyList<string> Ids { get; }

    /// <summary>The calendar <paramref name="id"/>, includes resolved.</summary>
    /// <exception cref="ArgumentException">No calendar has that id.</exception>
    public BusinessCalendar Get(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _calendars.TryGetValue(id, out var calendar)
            ? calendar
            : throw new ArgumentException($"No holiday calendar '{id}'; known: {string.Join(", ", Ids)}.", nameof(id));
    }

    /// <summary>
    /// The calendar for a person's jurisdiction as the pipeline records it (<c>california</c>, <c>canada</c>,
    /// <c>new-york</c>, <c>other</c>): California is <c>us-ca</c>, New York <c>us-ny</c>, other <c>us-federal</c>; Canada
    /// is the province or territory's calendar (<paramref name="region"/> as a two-letter code such as <c>on</c> or
    /// <c>QC</c>, or ISO 3166-2 such as <c>CA-BC</c>), or <c>ca-federal</c> when no province is known.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown jurisdiction, or a Canadian region with no calendar.</exception>
    public string CalendarFor(string jurisdiction, string? region)
    {
        ArgumentNullException.ThrowIfNull(jurisdiction);
        switch (jurisdiction.Trim().ToUpperInvariant())
        {
            case "CALIFORNIA":
                return "us-ca";
            case "NEW-YORK":
                return "us-ny";
            case "OTHER":
                return "us-federal";
            case "CANADA":
                if (string.IsNullOrWhiteSpace(region))
                {
                    return "ca-federal";
                }

                var code = region.Trim();
                if (code.StartsWith("CA-", StringComparison.OrdinalIgnoreCase))
                {
                    code = code[3..];
                }

                return Ids.FirstOrDefault(id => id != "ca-federal" && string.Equals(id, "ca-" + code, StringComparison.OrdinalIgnoreCase))
                    ?? throw new ArgumentException($"No holiday calendar for the Canadian province or territory '{region}'.", nameof(region));
            default:
                throw new ArgumentException($"Unknown jurisdiction '{jurisdiction}': one of california, canada, new-york, other.", nameof(jurisdiction));
        }
    }

    /// <summary>
    /// The local time zone a calendar's days are counted in (D1: "10 business days" ends at the end of a day where the
    /// person lives). A province or state with one zone has it; where a jurisdiction spans several, the easternmost, whose
    /// days end first, so that the deadline holds everywhere in it: <c>us-federal</c> (and <c>other</c>) New York,
    /// <c>ca-federal</c> (province unknown) St. John's, Nunavut Iqaluit.
    /// </summary>
    /// <exception cref="ArgumentException">No calendar has that id.</exception>
    public TimeZoneInfo ZoneFor(string calendarId)
    {
        _ = Get(calendarId);
        var zone = calendarId switch
        {
            "us-ca" => "America/Los_Angeles",
            "us-ny" or "us-federal" => "America/New_York",
            "ca-federal" or "ca-nl" => "America/St_Johns",
            "ca-ns" or "ca-pe" => "America/Halifax",
            "ca-nb" => "America/Moncton",
            "ca-qc" => "America/Toronto",
            "ca-on" => "America/Toronto",
            "ca-mb" => "America/Winnipeg",
            "ca-sk" => "America/Regina",
            "ca-ab" or "ca-nt" => "America/Edmonton",
            "ca-bc" => "America/Vancouver",
            "ca-yt" => "America/Whitehorse",
            "ca-nu" => "America/Iqaluit",
            _ => throw new ArgumentException($"No time zone is known for the calendar '{calendarId}'.", nameof(calendarId)),
        };
        return TimeZoneInfo.FindSystemTimeZoneById(zone);
    }

    /// <summary>
    /// The earliest of the deadlines <paramref name="businessDays"/> business days from <paramref name="start"/> on each of
    /// <paramref name="calendarIds"/> (each as <see cref="BusinessCalendar.AddBusinessDays(DateTimeOffset, int, TimeZoneInfo)"/>):
    /// a step that touches people of several jurisdictions meets the strictest of their deadlines.
    /// </summary>
    /// <exception cref="ArgumentException">No calendar ids, or an unknown one.</exception>
    /// <exception cref="InvalidOperationException">A count reaches a year the data does not cover.</exception>
    public DateTimeOffset EarliestDeadline(DateTimeOffset start, int businessDays, IEnumerable<string> calendarIds, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(calendarIds);
        ArgumentNullException.ThrowIfNull(zone);
        var calendars = calendarIds.Distinct(StringComparer.Ordinal).Select(Get).ToList();
        if (calendars.Count == 0)
        {
            throw new ArgumentException("At least one calendar id is needed.", nameof(calendarIds));
        }

        return calendars.Min(c => c.AddBusinessDays(start, businessDays, zone));
    }

    /// <summary>
    /// O14, D1: the earliest deadline <paramref name="businessDays"/> business days from <paramref name="start"/> for people
    /// of every one of <paramref name="calendarIds"/>, each calendar's days counted where its people live
    /// (<see cref="ZoneFor"/>), and never later than the same count in UTC. Counting every calendar in UTC alone reads an
    /// evening discovery in North America as the next day: a breach found on a Sunday at 20:00 in Los Angeles (Monday 03:00
    /// UTC) got until the end of the second Monday after, UTC, when the tenth business day of the people it concerns ends on
    /// the Friday before.
    /// </summary>
    /// <exception cref="ArgumentException">No calendar ids, or an unknown one.</exception>
    public DateTimeOffset EarliestDeadlineWhereTheyLive(DateTimeOffset start, int businessDays, IEnumerable<string> calendarIds)
    {
        ArgumentNullException.ThrowIfNull(calendarIds);
        var ids = calendarIds.Distinct(StringComparer.Ordinal).ToList();
        var inUtc = EarliestDeadline(start, businessDays, ids, TimeZoneInfo.Utc);
        var local = ids.Min(id => Get(id).AddBusinessDays(start, businessDays, ZoneFor(id)));
        return local < inUtc ? local : inUtc;
    }

    private static BusinessCalendars FromEmbeddedResources()
    {
        var assembly = typeof(BusinessCalendars).Assembly;
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (name.StartsWith(ResourcePrefix, StringComparison.Ordinal) && name.EndsWith(ResourceSuffix, StringComparison.Ordinal))
            {
                files.Add(name[ResourcePrefix.Length..^ResourceSuffix.Length], ReadResource(assembly, name));
            }
        }

        return files.Count > 0
            ? new BusinessCalendars(files, new HolidayRules(ReadResource(assembly, RulesResource)))
            : throw new InvalidDataException($"No holiday calendars are embedded in {assembly.GetName().Name} (expected {ResourcePrefix}*.json).");
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidDataException($"The embedded resource {name} cannot be read.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static CalendarFile Parse(string fileName, string json)
    {
        try
        {
            return JsonSerializer.Deserialize<CalendarFile>(json, FileOptions)
                ?? throw new InvalidDataException($"Calendar file {fileName}.json is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Calendar file {fileName}.json is malformed: {e.Message}", e);
        }
    }

    private static void Validate(string fileName, CalendarFile file)
    {
        void Fail(string problem) => throw new InvalidDataException($"Calendar file {fileName}.json: {problem}");

        if (file.Id != fileName)
        {
            Fail($"its id '{file.Id}' is not its file name.");
        }

        if (string.IsNullOrWhiteSpace(file.Name) || string.IsNullOrWhiteSpace(file.Source))
        {
            Fail("a name and an official source are required.");
        }

        if (file.FirstYear < 1 || file.LastYear < file.FirstYear || file.LastYear > 9998)
        {
            Fail($"the years {file.FirstYear} to {file.LastYear} are not a range.");
        }

        DateOnly? previous = null;
        foreach (var holiday in file.Holidays)
        {
            if (string.IsNullOrWhiteSpace(holiday.Name))
            {
                Fail($"the holiday on {holiday.Date:yyyy-MM-dd} has no name.");
            }

            if (holiday.Date.Year < file.FirstYear || holiday.Date.Year > file.LastYear)
            {
                Fail($"{holiday.Date:yyyy-MM-dd} is outside the years {file.FirstYear} to {file.LastYear}.");
            }

            if (holiday.Date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
            {
                Fail($"{holiday.Date:yyyy-MM-dd} ({holiday.Name}) is a weekend day; list the weekday it is observed on.");
            }

            if (previous is { } p && holiday.Date <= p)
            {
                Fail($"{holiday.Date:yyyy-MM-dd} is not after {p:yyyy-MM-dd}: holidays are listed once each, in date order.");
            }

            previous = holiday.Date;
        }
    }

    private BusinessCalendar Resolve(string id, Dictionary<string, CalendarFile> files, List<string> path)
    {
        if (_calendars.TryGetValue(id, out var done))
        {
            return done;
        }

        if (path.Contains(id))
        {
            throw new InvalidDataException($"Holiday calendars include each other in a cycle: {string.Join(" -> ", path)} -> {id}.");
        }

        var file = files[id];
        path.Add(id);
        var includes = file.Includes ?? [];
        var holidays = file.Holidays.Select(h => new Holiday(h.Date, h.Name, id)).ToList();
        int first = file.FirstYear, last = file.LastYear;
        foreach (var included in includes)
        {
            if (!files.ContainsKey(included))
            {
                throw new InvalidDataException($"Calendar file {id}.json includes '{included}', which does not exist.");
            }

            var inner = Resolve(included, files, path);
            holidays.AddRange(inner.Holidays);
            first = Math.Max(first, inner.FirstYear);
            last = Math.Min(last, inner.LastYear);
        }

        path.RemoveAt(path.Count - 1);
        if (first > last)
        {
            throw new InvalidDataException($"Calendar {id} and the calendars it includes cover no year in common.");
        }

        // Rules stand in for the files beyond their years only for a calendar that includes no other (each rule set is a
        // calendar's own holidays).
        var calendar = new BusinessCalendar(id, file.Name, file.Source, first, last, includes, holidays, includes.Count == 0 ? Rules : null);
        _calendars.Add(id, calendar);
        return calendar;
    }

    /// <summary>One calendar file as stored. <c>observance</c> and <c>notes</c> are for people reading the data.</summary>
    private sealed record CalendarFile(
        string Id,
        string Name,
        string Source,
        int FirstYear,
        int LastYear,
        IReadOnlyList<HolidayEntry> Holidays,
        IReadOnlyList<string>? Includes = null,
        string? Observance = null,
        string? Notes = null);

    private sealed record HolidayEntry(DateOnly Date, string Name);
}
