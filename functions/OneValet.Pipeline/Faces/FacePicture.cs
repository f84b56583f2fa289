namespace OneValet.Pipeline.Faces;

/// <summary>How a <see cref="FacePicture"/>'s bytes are laid out.</summary>
public enum PictureLayout
{
    /// <summary>ffmpeg's yuv420p: the luma plane, then the two chroma planes (U, V) at half the width and height (rounded
    /// up), no padding. BT.601 limited range, as ffmpeg converts by default.</summary>
    Yuv420,

    /// <summary>Four bytes a pixel, red, green, blue, alpha (a decoded JPEG); alpha is never changed.</summary>
    Rgba,
}

/// <summary>
/// A picture in memory as redaction reads and changes it: a video frame piped by ffmpeg, or a decoded image. What the
/// detector reads of it is colour (BlazeFace needs chroma; a grey copy hides faces from it), sampled into the model's input
/// square (<see cref="FillInput"/>), with the picture mirrored beyond its sides so that a face cut by a side shows whole.
/// Blurring (<see cref="Pixelate"/>) changes every plane, so no colour of a face survives either.
/// </summary>
public sealed class FacePicture
{
    /// <summary>At most this many samples a side per input pixel, evenly spread over the pixels it covers (a mean of all
    /// of them cost several times the model's own time at 1080p and found the same faces).</summary>
    private const int MaxSamples = 3;

    /// <summary>The share of their difference from the region's mean that a blurred region's cells keep (see <see cref="Pixelate"/>).</summary>
    private const float Contrast = 0.5f;

    private readonly Plane[] _planes;

    public FacePicture(byte[] data, int width, int height, PictureLayout layout)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Data = data;
        Width = width;
        Height = height;
        Layout = layout;
        var chromaWidth = (width + 1) / 2;
        var chromaHeight = (height + 1) / 2;
        _planes = layout == PictureLayout.Yuv420
            ?
            [
                new Plane(0, width, height, width, 1, 0),
                new Plane(width * height, chromaWidth, chromaHeight, chromaWidth, 1, 1),
                new Plane((width * height) + (chromaWidth * chromaHeight), chromaWidth, chromaHeight, chromaWidth, 1, 1),
            ]
            :
            [
                new Plane(0, width, height, width * 4, 4, 0),
                new Plane(1, width, height, width * 4, 4, 0),
                new Plane(2, width, height, width * 4, 4, 0),
            ];
        var needed = _planes[2].Offset + ((_planes[2].Height - 1) * _planes[2].Stride) + ((_planes[2].Width - 1) * _planes[2].Step) + 1;
        if (data.Length < needed)
        {
            throw new ArgumentException("The picture's bytes are fewer than its size needs.", nameof(data));
        }
    }

    /// <summary>The bytes of a yuv420p frame of this size.</summary>
    public static int Yuv420Size(int width, int height) => (width * height) + (2 * ((width + 1) / 2) * ((height + 1) / 2));

    public byte[] Data { get; }

    public int Width { get; }

    public int Height { get; }

    public PictureLayout Layout { get; }

    public PixelRect Bounds => new(0, 0, Width, Height);

    /// <summary>Where the first plane (luma, or red) is in <see cref="Data"/>: its first byte, bytes a row, bytes a pixel.</summary>
    internal (int Offset, int Stride, int Step) FirstPlane => (_planes[0].Offset, _planes[0].Stride, _planes[0].Step);

    /// <summary>
    /// Fills the model's input (<paramref name="size"/> x <paramref name="size"/> pixels, NHWC, RGB scaled to [-1, 1]) with
    /// the square of the picture whose top-left corner is (<paramref name="left"/>, <paramref name="top"/>) and side
    /// <paramref name="side"/> pixels. Where the square goes beyond the picture, the picture is mirrored at its left and
    /// right sides (half a face cut there shows whole: faces are nearly symmetric) and its first and last rows repeated
    /// above and below (mirrored there, a face cut by the top met its upside-down copy, which the model took for one large
    /// face).
    /// </summary>
    public void FillInput(Span<float> input, int size, double left, double top, double side)
    {
        if (input.Length < size * size * 3)
        {
            throw new ArgumentException("The input is smaller than the model's.", nameof(input));
        }

        var (xs, xCount) = Samples(left, side, size, Width, mirror: true);
        var (ys, yCount) = Samples(top, side, size, Height, mirror: false);
        var weight = 1f / (xCount * yCount);
        var data = Data;
        var p0 = _planes[0];
        var p1 = _planes[1];
        var p2 = _planes[2];

        // Where each sample is, in bytes, worked out once for the whole square rather than once an input pixel: a row's
        // start in each plane for every sampled row, a pixel's place in its row for every sampled column.
        var rows0 = new int[ys.Length];
        var rows1 = new int[ys.Length];
        var rows2 = new int[ys.Length];
        for (var k = 0; k < ys.Length; k++)
        {
            rows0[k] = p0.Offset + (ys[k] * p0.Stride);
            rows1[k] = p1.Offset + ((ys[k] >> p1.Shift) * p1.Stride);
            rows2[k] = p2.Offset + ((ys[k] >> p2.Shift) * p2.Stride);
        }

        var columns0 = new int[xs.Length];
        var columns1 = new int[xs.Length];
        var columns2 = new int[xs.Length];
        for (var k = 0; k < xs.Length; k++)
        {
            columns0[k] = xs[k] * p0.Step;
            columns1[k] = (xs[k] >> p1.Shift) * p1.Step;
            columns2[k] = (xs[k] >> p2.Shift) * p2.Step;
        }

        var yuv = Layout == PictureLayout.Yuv420;
        ReadOnlySpan<byte> bytes = data;
        // A row of sums a plane: on the stack for the model's 256 pixels, on the heap for an input far larger.
        Span<int> a = size <= 1024 ? stackalloc int[size] : new int[size];
        Span<int> b = size <= 1024 ? stackalloc int[size] : new int[size];
        Span<int> c = size <= 1024 ? stackalloc int[size] : new int[size];
        for (var row = 0; row < size; row++)
        {
            // The sums of each input pixel's samples in the three planes, a row of input pixels at a time.
            if (xCount == 1 && yCount == 1)
            {
                // One sample an input pixel: a view less than twice the model's side (every tile).
                var r0 = rows0[row];
                var r1 = rows1[row];
                var r2 = rows2[row];
                for (var column = 0; column < size; column++)
                {
                    a[column] = bytes[r0 + columns0[column]];
                    b[column] = bytes[r1 + columns1[column]];
                    c[column] = bytes[r2 + columns2[column]];
                }
            }
            else
            {
                a.Clear();
                b.Clear();
                c.Clear();
                for (var j = row * yCount; j < (row + 1) * yCount; j++)
                {
                    var r0 = rows0[j];
                    var r1 = rows1[j];
                    var r2 = rows2[j];
                    var i = 0;
                    for (var column = 0; column < size; column++)
                    {
                        int sa = 0, sb = 0, sc = 0;
                        for (var k = 0; k < xCount; k++, i++)
                        {
                            sa += bytes[r0 + columns0[i]];
                            sb += bytes[r1 + columns1[i]];
                            sc += bytes[r2 + columns2[i]];
                        }

                        a[column] += sa;
                        b[column] += sb;
                        c[column] += sc;
                    }
                }
            }

            ModelInput.Row(a, b, c, weight, yuv, input.Slice(row * size * 3, size * 3));
        }
    }

    /// <summary>
    /// For each of <paramref name="size"/> input pixels along one side, the picture's pixels it is sampled from (mirrored
    /// back into 0..<paramref name="length"/> - 1 where the square goes beyond the picture, or the first or last repeated).
    /// </summary>
    private static (int[] Positions, int Count) Samples(double start, double side, int size, int length, bool mirror)
    {
        var step = side / size;
        var count = Math.Clamp((int)Math.Floor(step), 1, MaxSamples);
        var positions = new int[size * count];
        for (var i = 0; i < size; i++)
        {
            for (var k = 0; k < count; k++)
            {
                var at = (int)Math.Floor(start + (step * (i + ((k + 0.5) / count))));
                positions[(i * count) + k] = mirror ? Mirror(at, length) : Math.Clamp(at, 0, length - 1);
            }
        }

        return (positions, count);
    }

    private static int Mirror(int at, int length)
    {
        var period = 2 * length;
        var folded = ((at % period) + period) % period;
        return folded < length ? folded : period - 1 - folded;
    }

    /// <summary>
    /// Pixelates <paramref name="region"/> (in luma pixels, cut to the picture) to 3x3 cells in every plane, then smooths
    /// between the cells' centres and halves their contrast to the region's mean: nothing of it survives but nine means a
    /// plane. (Cells of 6x6 left shading that, once re-encoded, a detector at times took for a face; at full contrast, so
    /// did the Haar cascade with 3x3: dark upper corners read as eyes.)
    /// </summary>
    public void Pixelate(PixelRect region)
    {
        region = region.Intersect(Bounds);
        if (region.IsEmpty)
        {
            return;
        }

        Span<float> means = stackalloc float[9];
        foreach (var plane in _planes)
        {
            var part = plane.Of(region);
            if (part.IsEmpty)
            {
                continue;
            }

            for (var cy = 0; cy < 3; cy++)
            {
                for (var cx = 0; cx < 3; cx++)
                {
                    var left = part.X + (part.Width * cx / 3);
                    var right = Math.Max(left + 1, part.X + (part.Width * (cx + 1) / 3));
                    var top = part.Y + (part.Height * cy / 3);
                    var bottom = Math.Max(top + 1, part.Y + (part.Height * (cy + 1) / 3));
                    right = Math.Min(right, part.Right);
                    bottom = Math.Min(bottom, part.Bottom);
                    long sum = 0;
                    for (var y = top; y < bottom; y++)
                    {
                        var row = plane.Offset + (y * plane.Stride);
                        for (var x = left; x < right; x++)
                        {
                            sum += Data[row + (x * plane.Step)];
                        }
                    }

                    var count = Math.Max(1, (right - left) * (bottom - top));
                    means[(cy * 3) + cx] = (float)sum / count;
                }
            }

            var mean = 0f;
            foreach (var cell in means)
            {
                mean += cell / 9;
            }

            for (var i = 0; i < 9; i++)
            {
                means[i] = mean + ((means[i] - mean) * Contrast);
            }

            // Bilinear between the nine cell centres (at 1/6, 3/6 and 5/6 of each side), flat beyond the outer ones. Each
            // row of cells is first made a row of pixels across (the same for every pixel row), then two of those are
            // mixed down each pixel row.
            var across = new float[3 * part.Width];
            for (var x = part.X; x < part.Right; x++)
            {
                var fx = Math.Clamp(((((x - part.X) + 0.5f) / part.Width) * 3f) - 0.5f, 0f, 2f);
                var x0 = Math.Min(1, (int)fx);
                var tx = fx - x0;
                for (var r = 0; r < 3; r++)
                {
                    across[(r * part.Width) + (x - part.X)] = (means[(r * 3) + x0] * (1 - tx)) + (means[(r * 3) + x0 + 1] * tx);
                }
            }

            for (var y = part.Y; y < part.Bottom; y++)
            {
                var fy = Math.Clamp(((((y - part.Y) + 0.5f) / part.Height) * 3f) - 0.5f, 0f, 2f);
                var y0 = Math.Min(1, (int)fy);
                var ty = fy - y0;
                var row = plane.Offset + (y * plane.Stride);
                var top = across.AsSpan(y0 * part.Width, part.Width);
                var bottom = across.AsSpan((y0 + 1) * part.Width, part.Width);
                for (var x = 0; x < part.Width; x++)
                {
                    Data[row + ((part.X + x) * plane.Step)] = (byte)Math.Clamp((int)MathF.Round((top[x] * (1 - ty)) + (bottom[x] * ty)), 0, 255);
                }
            }
        }
    }

    /// <summary>A copy of <paramref name="region"/>'s pixels in every plane (see <see cref="Paste"/>).</summary>
    public byte[] Copy(PixelRect region)
    {
        region = region.Intersect(Bounds);
        var copy = new byte[_planes.Sum(plane => plane.Of(region).Area)];
        var o = 0;
        foreach (var plane in _planes)
        {
            var part = plane.Of(region);
            for (var y = part.Y; y < part.Bottom; y++)
            {
                var row = plane.Offset + (y * plane.Stride);
                if (plane.Step == 1)
                {
                    // A row of a plane of its own (YUV): one copy.
                    Data.AsSpan(row + part.X, part.Width).CopyTo(copy.AsSpan(o));
                    o += part.Width;
                    continue;
                }

                for (var x = part.X; x < part.Right; x++)
                {
                    copy[o++] = Data[row + (x * plane.Step)];
                }
            }
        }

        return copy;
    }

    /// <summary>Puts back pixels <see cref="Copy"/> took of the same region (of this picture or another of its size).</summary>
    public void Paste(PixelRect region, byte[] copy)
    {
        ArgumentNullException.ThrowIfNull(copy);
        region = region.Intersect(Bounds);
        var o = 0;
        foreach (var plane in _planes)
        {
            var part = plane.Of(region);
            for (var y = part.Y; y < part.Bottom; y++)
            {
                var row = plane.Offset + (y * plane.Stride);
                if (plane.Step == 1)
                {
                    copy.AsSpan(o, part.Width).CopyTo(Data.AsSpan(row + part.X));
                    o += part.Width;
                    continue;
                }

                for (var x = part.X; x < part.Right; x++)
                {
                    Data[row + (x * plane.Step)] = copy[o++];
                }
            }
        }
    }

    /// <summary>One plane: where its first byte is, its size, bytes a row and a pixel, and its subsampling (1: half).</summary>
    private readonly record struct Plane(int Offset, int Width, int Height, int Stride, int Step, int Shift)
    {
        /// <summary>A luma region in this plane's pixels, covering it (rounded outwards).</summary>
        public PixelRect Of(PixelRect region)
        {
            if (region.IsEmpty)
            {
                return default;
            }

            var left = region.X >> Shift;
            var top = region.Y >> Shift;
            var right = Math.Min(Width, (region.Right + Shift) >> Shift);
            var bottom = Math.Min(Height, (region.Bottom + Shift) >> Shift);
            return new PixelRect(left, top, right - left, bottom - top).Intersect(new PixelRect(0, 0, Width, Height));
        }
    }
}
