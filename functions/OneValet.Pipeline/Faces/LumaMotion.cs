namespace OneValet.Pipeline.Faces;

/// <summary>
/// A keyframe's luma as a summed-area table: the mean of any rectangle in four look-ups. Two of them tell whether a region
/// of one keyframe shows what a region of the other showed, moved by a shift (<see cref="ShiftSince"/>, <see cref="Shows"/>):
/// what <see cref="KeyframeSearch"/> decides by which views of a keyframe need the model again. One is filled per keyframe
/// into buffers it keeps (<see cref="Fill"/>): a chain of keyframes swaps two, and allocates nothing per keyframe.
/// </summary>
internal sealed class LumaMotion
{
    /// <summary>The farthest a picture is looked for moved between two keyframes of a chain, in pixels across and down (96:
    /// 240 pixels a second with a chain's keyframes 10 frames apart at 25 fps). Farther, its views are searched anew.</summary>
    public const int MostShift = 96;

    private int[] _sums = [];
    private float[] _cells16 = [];
    private float[] _cells4 = [];
    private byte[] _pixels = [];

    public int Width { get; private set; }

    public int Height { get; private set; }

    /// <summary>Fills the table from the picture's first plane (luma; red for RGBA pictures).</summary>
    public void Fill(FacePicture picture)
    {
        ArgumentNullException.ThrowIfNull(picture);
        var width = picture.Width;
        var height = picture.Height;
        if (width != Width || height != Height)
        {
            Width = width;
            Height = height;
            _sums = new int[(width + 1) * (height + 1)];
            _cells16 = new float[(width / 16) * (height / 16)];
            _cells4 = new float[(width / 4) * (height / 4)];
            _pixels = new byte[width * height];
        }

        var sums = _sums;
        var data = picture.Data;
        var (offset, stride, step) = picture.FirstPlane;
        for (var y = 0; y < height; y++)
        {
            // A row of the table is the row above plus this row's running sum; the pixels are kept for shifts of one pixel.
            var above = sums.AsSpan((y * (width + 1)) + 1, width);
            var here = sums.AsSpan(((y + 1) * (width + 1)) + 1, width);
            var pixels = _pixels.AsSpan(y * width, width);
            var row = data.AsSpan(offset + (y * stride));
            var line = 0;
            for (var x = 0; x < width; x++)
            {
                var pixel = row[x * step];
                pixels[x] = pixel;
                line += pixel;
                here[x] = above[x] + line;
            }
        }

        FillCells(_cells16, 16);
        FillCells(_cells4, 4);
    }

    /// <summary>The mean luma of the rectangle (inside the picture, not empty).</summary>
    public double Mean(int x, int y, int width, int height)
    {
        var stride = Width + 1;
        var right = x + width;
        var bottom = y + height;
        long sum = (long)_sums[(bottom * stride) + right] - _sums[(y * stride) + right] - _sums[(bottom * stride) + x] + _sums[(y * stride) + x];
        return (double)sum / (width * height);
    }

    /// <summary>The means of the <paramref name="block"/>-pixel blocks of the picture, row by row (those at the right and
    /// bottom sides may be smaller).</summary>
    public float[] BlockMeans(int block)
    {
        var across = (Width + block - 1) / block;
        var down = (Height + block - 1) / block;
        var means = new float[across * down];
        for (var y = 0; y < down; y++)
        {
            for (var x = 0; x < across; x++)
            {
                means[(y * across) + x] = (float)Mean(x * block, y * block, Math.Min(block, Width - (x * block)), Math.Min(block, Height - (y * block)));
            }
        }

        return means;
    }

    /// <summary>
    /// Whether every <paramref name="block"/>-pixel block of <paramref name="area"/> (inside this picture) has the mean, within
    /// <paramref name="tolerance"/> grey levels, of the same block moved back by (<paramref name="dx"/>, <paramref name="dy"/>)
    /// in <paramref name="earlier"/>: the area shows what the earlier picture showed there, moved by that much. A block whose
    /// earlier place is outside the earlier picture is new: not the same.
    /// </summary>
    public bool Shows(LumaMotion earlier, PixelRect area, int dx, int dy, int block, double tolerance)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        if (earlier.Width != Width || earlier.Height != Height || area.IsEmpty)
        {
            return false;
        }

        for (var y = area.Top; y < area.Bottom; y += block)
        {
            var h = Math.Min(block, area.Bottom - y);
            for (var x = area.Left; x < area.Right; x += block)
            {
                var w = Math.Min(block, area.Right - x);
                var ex = x - dx;
                var ey = y - dy;
                if (ex < 0 || ey < 0 || ex + w > Width || ey + h > Height
                    || Math.Abs(Mean(x, y, w, h) - earlier.Mean(ex, ey, w, h)) > tolerance)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// How far the picture moved since <paramref name="earlier"/>, in whole pixels (this picture at (x, y) shows what the
    /// earlier one showed at (x - dx, y - dy)): the shift, up to <see cref="MostShift"/> either way, whose mean absolute
    /// difference over the pictures' overlap is least, found on 16-pixel block means, refined on 4-pixel ones (every
    /// other row and column), then on pixels (every eighth) within three of that (within two, a shift three pixels from the
    /// 4-pixel one chosen was out of reach: 31 of 150 random shifts of a textured scene came out a pixel or two off, against
    /// 3 of 150 one pixel off now; <c>LumaMotionTests</c>). One shift for the whole picture: a camera panning, or a still
    /// scene, (0, 0), where people move; what does not move with it is searched anew, view by view.
    /// </summary>
    public (int Dx, int Dy) ShiftSince(LumaMotion earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        if (earlier.Width != Width || earlier.Height != Height || Width < 64 || Height < 64)
        {
            return (0, 0);
        }

        var (dx, dy) = Refine(earlier, 16, 0, 0, MostShift / 16, 1);
        (dx, dy) = Refine(earlier, 4, dx, dy, 3, 2);
        return Refine(earlier, 1, dx, dy, 3, 8);
    }

    /// <summary>The best shift, a multiple of <paramref name="cell"/>, within <paramref name="reach"/> cells of (dx, dy),
    /// compared on every <paramref name="sample"/>th cell across and down (cells: <paramref name="cell"/>-pixel block means).</summary>
    private (int Dx, int Dy) Refine(LumaMotion earlier, int cell, int dx, int dy, int reach, int sample)
    {
        var across = Width / cell;
        var down = Height / cell;
        var best = (Dx: dx, Dy: dy);
        var bestCost = double.MaxValue;
        for (var v = -reach; v <= reach; v++)
        {
            for (var u = -reach; u <= reach; u++)
            {
                var sx = (dx / cell) + u;
                var sy = (dy / cell) + v;
                if (Math.Abs(sx * cell) > MostShift || Math.Abs(sy * cell) > MostShift)
                {
                    continue;
                }

                // Cells whose earlier place is in the earlier picture; the overlap must be at least half of it.
                var x0 = Math.Max(0, sx);
                var x1 = Math.Min(across, across + sx);
                var y0 = Math.Max(0, sy);
                var y1 = Math.Min(down, down + sy);
                if ((x1 - x0) * 2 < across || (y1 - y0) * 2 < down)
                {
                    continue;
                }

                double cost = 0;
                var count = 0;
                for (var y = y0; y < y1; y += sample)
                {
                    count += Difference(cell, across, y, earlier, y - sy, x0, x1, sx, sample, ref cost);
                }

                cost /= Math.Max(1, count);

                // Ties go to the smaller shift: a plain wall matches any.
                if (cost < bestCost - 1e-9 || (Math.Abs(cost - bestCost) <= 1e-9 && (Math.Abs(sx) + Math.Abs(sy)) * cell < Math.Abs(best.Dx) + Math.Abs(best.Dy)))
                {
                    bestCost = cost;
                    best = (sx * cell, sy * cell);
                }
            }
        }

        return best;
    }

    /// <summary>Adds to <paramref name="cost"/> the absolute differences, in the order of the cells, between row
    /// <paramref name="y"/>'s cells from <paramref name="x0"/> to <paramref name="x1"/> (every <paramref name="sample"/>th) and
    /// the earlier picture's cells <paramref name="sx"/> to their left on row <paramref name="earlierY"/>; returns how many.</summary>
    private int Difference(int cell, int across, int y, LumaMotion earlier, int earlierY, int x0, int x1, int sx, int sample, ref double cost) => cell switch
    {
        16 => Differences<float>(_cells16.AsSpan(y * across, across), earlier._cells16.AsSpan(earlierY * across, across), x0, x1, sx, sample, ref cost),
        4 => Differences<float>(_cells4.AsSpan(y * across, across), earlier._cells4.AsSpan(earlierY * across, across), x0, x1, sx, sample, ref cost),

        // One-pixel cells: the pixels themselves (a one-pixel mean is the pixel).
        _ => Differences<byte>(_pixels.AsSpan(y * Width, Width), earlier._pixels.AsSpan(earlierY * Width, Width), x0, x1, sx, sample, ref cost),
    };

    private static int Differences<T>(ReadOnlySpan<T> here, ReadOnlySpan<T> there, int x0, int x1, int sx, int sample, ref double cost)
        where T : System.Numerics.INumberBase<T>
    {
        var count = 0;
        for (var x = x0; x < x1; x += sample, count++)
        {
            cost += Math.Abs(double.CreateTruncating(here[x]) - double.CreateTruncating(there[x - sx]));
        }

        return count;
    }

    private void FillCells(float[] cells, int cell)
    {
        var across = Width / cell;
        var down = Height / cell;
        for (var y = 0; y < down; y++)
        {
            for (var x = 0; x < across; x++)
            {
                cells[(y * across) + x] = (float)Mean(x * cell, y * cell, cell, cell);
            }
        }
    }
}
