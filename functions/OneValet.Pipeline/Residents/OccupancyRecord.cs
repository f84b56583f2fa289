namespace OneValet.Pipeline.Residents;

/// <summary>Who lives in which unit of a building, and when (container <c>occupancy</c>, partition = building id, id =
/// resident id). The index that finds a unit's roommates (O13) and a building's affected residents (O14) in one
/// partition. Ids and dates only.</summary>
public sealed record OccupancyRecord(string ResidentId, string UnitId, DateTimeOffset MovedInAt, DateTimeOffset? MovedOutAt, string Jurisdiction);
