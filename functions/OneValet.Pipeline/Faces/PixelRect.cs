namespace OneValet.Pipeline.Faces;

/// <summary>A rectangle of a picture's pixels: <see cref="X"/> and <see cref="Y"/> included, <see cref="Right"/> and
/// <see cref="Bottom"/> excluded. The regions redaction blurs.</summary>
public readonly record struct PixelRect(int X, int Y, int Width, int Height)
{
    public int Left => X;

    public int Top => Y;

    public int Right => X + Width;

    public int Bottom => Y + Height;

    public bool IsEmpty => Width <= 0 || Height <= 0;

    public int Area => IsEmpty ? 0 : Width * Height;

    /// <summary>The pixels in both; empty (all zero) when they share none.</summary>
    public PixelRect Intersect(PixelRect other)
    {
        var left = Math.Max(X, other.X);
        var top = Math.Max(Y, other.Y);
        var right = Math.Min(Right, other.Right);
        var bottom = Math.Min(Bottom, other.Bottom);
        return right > left && bottom > top ? new PixelRect(left, top, right - left, bottom - top) : default;
    }

    /// <summary>The smallest rectangle holding both.</summary>
    public PixelRect Union(PixelRect other)
    {
        var left = Math.Min(X, other.X);
        var top = Math.Min(Y, other.Y);
        return new PixelRect(left, top, Math.Max(Right, other.Right) - left, Math.Max(Bottom, other.Bottom) - top);
    }

    public bool Contains(int x, int y) => x >= X && x < Right && y >= Y && y < Bottom;

    public static PixelRect Of(FaceRectangle face) => new(face.Left, face.Top, face.Width, face.Height);
}
