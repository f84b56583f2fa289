namespace OneValet.Pipeline.Faces;

/// <summary>
/// The search of a video's keyframes, view by view (<see cref="LocalFaceDetector.Views"/>), for one chain of keyframes
/// (<see cref="FaceRedactor"/> searches two chains at once, odd and even keyframes, each with its own; one keyframe at a
/// time, in order). The model reads a view again only where its pixels may show a face it has not read:
/// <list type="bullet">
/// <item>a view whose pixels have not changed since it was last searched (every block mean within
/// <see cref="BlockTolerance"/> grey levels: a still scene, an empty hallway, a face standing) has the same faces, since the
/// search is a function of the pixels. It is compared with the keyframe it was last searched in, so slow change cannot
/// add up unseen;</item>
/// <item>a view showing what the chain's previous keyframe showed, moved by the picture's shift since then (a camera
/// panning; (0, 0) where only people move: <see cref="LumaMotion.ShiftSince"/>), every block within the same tolerance of
/// its earlier place, has the previous keyframe's faces whose centres were there, moved as much;</item>
/// <item>every other view is searched: where someone moves, enters, turns, or the picture shows something new;</item>
/// <item>and, whatever the above say, every view is searched at least every <see cref="RefreshEvery"/>th keyframe of its
/// chain, in turn (view v on the chain's keyframes n with (n + v + c x <see cref="ChainOffset"/>) mod 5 = 0, c = 0 or 1 the
/// chain: the chains alternate), so the model reads every view at least every 5th keyframe of the video (25 frames, 1 s
/// with a keyframe every 5 frames at 25 fps): a face that came without changing its view's block means beyond the
/// tolerance (slowly, or faint) is found within that, and the two rules above cannot carry a miss further.</item>
/// </list>
/// </summary>
internal sealed class KeyframeSearch(LocalFaceDetector detector, int chain = 0)
{
    /// <summary>Every view is searched at least every this many keyframes of a chain (see the class).</summary>
    public const int RefreshEvery = 5;

    /// <summary>Where the second chain's turns start, so that the chains alternate: a view's turn comes every
    /// <see cref="RefreshEvery"/> keyframes of the video, one chain's then the other's.</summary>
    private const int ChainOffset = (RefreshEvery + 1) / 2;

    private const double BlockTolerance = 3;

    private Searched?[] _last = [];
    private LumaMotion _luma = new();
    private LumaMotion _before = new();
    private IReadOnlyList<FaceRectangle>? _previousFaces;
    private int _keyframes;

    /// <summary>The faces of a keyframe, and how many views the model read (0: none needed it).</summary>
    public (IReadOnlyList<FaceRectangle> Faces, int ViewsSearched) Search(FacePicture picture)
    {
        ArgumentNullException.ThrowIfNull(picture);
        var views = LocalFaceDetector.Views(picture.Width, picture.Height);
        if (_last.Length != views.Count)
        {
            _last = new Searched?[views.Count];
            _previousFaces = null;
        }

        // This keyframe's luma in the buffers of the one before last; the previous one's kept to compare with.
        (_luma, _before) = (_before, _luma);
        _luma.Fill(picture);
        var block = Math.Max(8, picture.Width / 40);
        var blocks = new Blocks(_luma.BlockMeans(block), block, (picture.Width + block - 1) / block);
        (int Dx, int Dy)? shift = null;
        var found = new List<FaceRectangle>();
        var searched = 0;
        for (var v = 0; v < views.Count; v++)
        {
            var area = views[v].Rect.Intersect(picture.Bounds);
            var due = (_keyframes + v + (chain * ChainOffset)) % RefreshEvery == 0;
            if (!due && _last[v] is { } last && blocks.Same(last.Blocks, area))
            {
                found.AddRange(last.Faces);
                continue;
            }

            // The shift is worked out once a keyframe, when a view first needs it.
            if (!due && _previousFaces is { } before && (shift ??= _luma.ShiftSince(_before)) is var (dx, dy)
                && _luma.Shows(_before, area, dx, dy, block, BlockTolerance))
            {
                var earlier = new PixelRect(area.X - dx, area.Y - dy, area.Width, area.Height);
                found.AddRange(before
                    .Where(face => earlier.Contains(face.Left + (face.Width / 2), face.Top + (face.Height / 2)))
                    .Select(face => face with { Left = face.Left + dx, Top = face.Top + dy }));
                continue;
            }

            var faces = detector.DetectIn(picture, views[v]);
            _last[v] = new Searched(blocks, faces);
            found.AddRange(faces);
            searched++;
        }

        // The order of the views, not of threads: the regions do not depend on timing.
        IReadOnlyList<FaceRectangle> combined = [.. LocalFaceDetector.Combine(found).OrderBy(face => face.Top).ThenBy(face => face.Left).ThenBy(face => face.Width)];
        _previousFaces = combined;
        _keyframes++;
        return (combined, searched);
    }

    private sealed record Searched(Blocks Blocks, IReadOnlyList<FaceRectangle> Faces);

    /// <summary>Block means of a keyframe's luma, <paramref name="Size"/> pixels a block, row by row.</summary>
    private sealed record Blocks(float[] Means, int Size, int Across)
    {
        /// <summary>Whether every block touching <paramref name="area"/> is within the tolerance of the same in <paramref name="other"/>.</summary>
        public bool Same(Blocks other, PixelRect area)
        {
            if (other.Size != Size || other.Across != Across || other.Means.Length != Means.Length || area.IsEmpty)
            {
                return false;
            }

            var down = Means.Length / Across;
            var right = Math.Min(Across, (area.Right + Size - 1) / Size);
            var bottom = Math.Min(down, (area.Bottom + Size - 1) / Size);
            for (var y = area.Y / Size; y < bottom; y++)
            {
                for (var x = area.X / Size; x < right; x++)
                {
                    if (Math.Abs(Means[(y * Across) + x] - other.Means[(y * Across) + x]) > BlockTolerance)
                    {
                        return false;
                    }
                }
            }

            return true;
        }
    }
}
