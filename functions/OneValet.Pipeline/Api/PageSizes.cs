using System.Globalization;

namespace OneValet.Pipeline.Api;

/// <summary>
/// The one reading of a <c>pageSize</c> query value, as the contract spells it (<c>^[0-9]{1,4}$</c>, then the route's
/// range): ASCII digits only, so no sign, space, exponent, decimal point, hex or other script's digits is read as a number
/// on one route and refused on another (each route used to parse it its own way; one took "+5" and " 5").
/// </summary>
public static class PageSizes
{
    /// <summary>The contract's pattern of a page size: up to four ASCII digits.</summary>
    public const string Pattern = "^[0-9]{1,4}$";

    /// <summary>The size asked for (<paramref name="defaultSize"/> when none is given), or a 400 problem naming the range.</summary>
    public static Microsoft.AspNetCore.Http.IResult? TryRead(string? text, int defaultSize, int max, out int size)
    {
        size = defaultSize;
        if (text is null)
        {
            return null;
        }

        return text.Length is >= 1 and <= 4 && text.All(char.IsAsciiDigit)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out size) && size >= 1 && size <= max
            ? null
            : Problems.BadRequest(string.Create(CultureInfo.InvariantCulture, $"'pageSize' is a whole number from 1 to {max}."));
    }
}
